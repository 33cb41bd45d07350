import type { ProviderNames, ProviderObjects } from '../types.ts';

export const NAMES: ProviderNames = { crm: 'HubSpot', account: 'HubSpot portal' };

/** Host names of the real service: the API under hubapi.com, consent under hubspot.com. */
export const REAL_HOSTS = { base: ['hubapi.com', 'hubspot.com'], instance: [] } as const;

/**
 * HubSpot object facts the sales receiver reads. Webhooks and people name an object by its
 * plural, its singular or its type id (`0-1`); all mean the plural.
 */
export const OBJECTS: ProviderObjects = {
  aliases: {
    contact: 'contacts',
    contacts: 'contacts',
    '0-1': 'contacts',
    company: 'companies',
    companies: 'companies',
    '0-2': 'companies',
    deal: 'deals',
    deals: 'deals',
    '0-3': 'deals',
  },
  labels: { contacts: 'Contacts', companies: 'Companies', deals: 'Deals' },
  people: ['contacts'],
  account: 'companies',
  accountName: 'name',
  personFields: {
    contacts: {
      email: 'email',
      firstName: 'firstname',
      lastName: 'lastname',
      phone: 'phone',
      company: 'company',
    },
  },
  relatable: ['contacts', 'companies', 'deals'],
  polled: ['contacts', 'deals', 'companies'],
  names: { kind: 'known' },
  caseInsensitiveFields: false,
  convertedTo: undefined,
};
