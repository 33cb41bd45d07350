import { hubspotConnector } from './hubspot/connector.ts';
import { salesforceConnector } from './salesforce/connector.ts';
import type { CrmConnector } from './types.ts';

/** Every CRM refsync speaks: adding one is one more connector in this list. */
const all = [salesforceConnector, hubspotConnector] as const;

export type Provider = (typeof all)[number]['provider'];

/** The provider names, for API schemas (`z.enum(providers)`) and checks. */
export const providers = all.map((connector) => connector.provider) as [Provider, ...Provider[]];

export const connectors = Object.fromEntries(
  all.map((connector) => [connector.provider, connector]),
) as Record<Provider, CrmConnector>;

/** Every sales entry source the CRMs' hooks write, in registry order. */
export const hookSources: string[] = all.flatMap((connector) => connector.hooks?.sources ?? []);
