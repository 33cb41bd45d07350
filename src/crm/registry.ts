import { hubspotConnector } from './hubspot/connector.ts';
import { salesforceConnector } from './salesforce/connector.ts';
import type { CrmConnector, Provider } from './types.ts';

/** Every provider has a connector; a missing one is a compile error. */
export const connectors: Record<Provider, CrmConnector> = {
  salesforce: salesforceConnector,
  hubspot: hubspotConnector,
};
