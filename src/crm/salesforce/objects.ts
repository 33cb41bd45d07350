import type { ProviderNames, ProviderObjects } from '../types.ts';

export const NAMES: ProviderNames = { crm: 'Salesforce', account: 'Salesforce org' };

/** Host names of the real service: logins under salesforce.com, instances also under force.com. */
export const REAL_HOSTS = {
  base: ['salesforce.com'],
  instance: ['salesforce.com', 'force.com'],
} as const;

/** Salesforce object facts the sales receiver and the push engine read. */
export const OBJECTS: ProviderObjects = {
  aliases: { lead: 'Lead', contact: 'Contact', account: 'Account', opportunity: 'Opportunity' },
  labels: { Lead: 'Lead', Contact: 'Contact', Account: 'Account', Opportunity: 'Opportunity' },
  people: ['Lead', 'Contact'],
  account: 'Account',
  accountName: 'Name',
  personFields: {
    Lead: {
      email: 'Email',
      firstName: 'FirstName',
      lastName: 'LastName',
      phone: 'Phone',
      company: 'Company',
    },
    Contact: { email: 'Email', firstName: 'FirstName', lastName: 'LastName', phone: 'Phone' },
  },
  relatable: ['Lead', 'Contact', 'Account', 'Opportunity'],
  polled: ['Lead', 'Contact', 'Account', 'Opportunity'],
  // Custom objects (`Deal__c`) are allowed too: any API name, checked by its shape only.
  names: {
    kind: 'pattern',
    pattern: /^[A-Za-z][A-Za-z0-9_]*$/,
    description: 'a Salesforce object API name (Lead, Opportunity, ...)',
  },
  caseInsensitiveFields: true,
  convertedTo: 'Contact',
};
