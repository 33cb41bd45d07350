import type { FulfilmentMethod } from '../tables.ts';
import { couponProvider } from './coupon.ts';
import { manualProvider } from './manual.ts';
import { stripeProvider } from './stripe.ts';
import { tremendousProvider } from './tremendous.ts';
import type { FulfilmentProvider } from './types.ts';

const providers: Record<FulfilmentMethod, FulfilmentProvider> = {
  manual: manualProvider,
  coupon: couponProvider,
  stripe: stripeProvider,
  tremendous: tremendousProvider,
};

export function providerFor(method: FulfilmentMethod): FulfilmentProvider {
  return providers[method];
}
