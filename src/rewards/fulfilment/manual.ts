import type { FulfilmentProvider } from './types.ts';

/** A person pays (bank transfer, gift, CSV to a payout tool) and marks the reward paid. */
export const manualProvider: FulfilmentProvider = {
  method: 'manual',
  pay: async () => ({ outcome: 'waiting' }),
};
