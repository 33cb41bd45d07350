import { sfDate } from './datetime.ts';
import { createRecord, type DmlContext, inTransaction, liveRecord, updateRecord } from './dml.ts';
import { SfError } from './errors.ts';
import { requireObject } from './fields.ts';
import { LEAD_STATUSES } from './standard-objects.ts';

export interface ConvertOptions {
  /** A converted lead status; defaults to the first one ("Closed - Converted"). */
  convertedStatus?: string | undefined;
  /** Merge into this account instead of creating one. */
  accountId?: string | undefined;
  /** Merge into this contact instead of creating one. */
  contactId?: string | undefined;
  doNotCreateOpportunity?: boolean | undefined;
  opportunityName?: string | undefined;
}

export interface ConvertResult {
  leadId: string;
  accountId: string;
  contactId: string;
  opportunityId: string | null;
}

const DEFAULT_CLOSE_DAYS = 30;

/**
 * Converts a lead the way `convertLead()` does: an Account (from Company), a Contact and,
 * unless told not to, an Opportunity with the contact as primary role; then the lead gets
 * `IsConverted`, `ConvertedDate`, the `Converted*Id`s and a converted status. Every write goes
 * through the normal DML path, so outbound-message rules fire for each, and the whole
 * conversion rolls back on any error.
 */
export function convertLead(ctx: DmlContext, leadId: string, options: ConvertOptions = {}): ConvertResult {
  const leadDef = requireObject(ctx.org, 'Lead');
  const lead = liveRecord(ctx.org, leadDef, leadId);
  if (lead.IsConverted === true) {
    throw new SfError(400, 'CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', []);
  }
  const status =
    options.convertedStatus ?? LEAD_STATUSES.find((s) => s.converted)?.value ?? 'Closed - Converted';
  if (!LEAD_STATUSES.some((s) => s.converted && s.value === status)) {
    throw new SfError(400, 'INVALID_STATUS', `invalid convertedStatus: ${status}`, ['Status']);
  }
  const system: DmlContext = { ...ctx, system: true, allowDuplicates: true };
  return inTransaction(ctx.org, () => {
    const company =
      typeof lead.Company === 'string' && lead.Company !== '' ? lead.Company : String(lead.Name);
    const accountId =
      options.accountId ??
      createRecord(system, 'Account', {
        Name: company,
        Website: lead.Website,
        Phone: lead.Phone,
        Industry: lead.Industry,
        BillingCity: lead.City,
        BillingCountry: lead.Country,
        OwnerId: lead.OwnerId,
      });
    const contactFields = {
      FirstName: lead.FirstName,
      LastName: lead.LastName,
      Salutation: lead.Salutation,
      Title: lead.Title,
      Email: lead.Email,
      Phone: lead.Phone,
      MobilePhone: lead.MobilePhone,
      LeadSource: lead.LeadSource,
      OwnerId: lead.OwnerId,
    };
    let contactId: string;
    if (options.contactId) {
      contactId = options.contactId;
      updateRecord(system, 'Contact', contactId, { AccountId: accountId });
    } else {
      contactId = createRecord(system, 'Contact', { ...contactFields, AccountId: accountId });
    }
    let opportunityId: string | null = null;
    if (!options.doNotCreateOpportunity) {
      opportunityId = createRecord(system, 'Opportunity', {
        Name: options.opportunityName ?? `${company}-`,
        AccountId: accountId,
        StageName: 'Prospecting',
        CloseDate: sfDate(ctx.now + DEFAULT_CLOSE_DAYS * 86_400_000),
        LeadSource: lead.LeadSource,
        OwnerId: lead.OwnerId,
      });
      createRecord(system, 'OpportunityContactRole', {
        OpportunityId: opportunityId,
        ContactId: contactId,
        IsPrimary: true,
      });
    }
    updateRecord(system, 'Lead', String(lead.Id), {
      IsConverted: true,
      ConvertedDate: sfDate(ctx.now),
      ConvertedAccountId: accountId,
      ConvertedContactId: contactId,
      ConvertedOpportunityId: opportunityId,
      Status: status,
    });
    return { leadId: String(lead.Id), accountId, contactId, opportunityId };
  });
}
