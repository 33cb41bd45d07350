import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/deals/models/AssociationSpec.js';
import { CrmError } from '../errors.ts';
import type { CrmSession, DealInput, WriteOutcome } from '../types.ts';
import { type CallOptions, sessionApis } from './client.ts';
import { hubspotCall, isRecordFailure } from './errors.ts';
import { DEAL_TO_CONTACT_ASSOCIATION_TYPE_ID } from './facts.ts';

/**
 * A deal in the chosen pipeline and stage, associated with the contact in the same call,
 * so there is never a deal without its contact.
 */
export async function createDeal(
  session: CrmSession,
  deal: DealInput,
  call: CallOptions,
): Promise<WriteOutcome> {
  const apis = sessionApis(session, call);
  try {
    const created = await hubspotCall(() =>
      apis.deals.create({
        properties: { dealname: deal.name, pipeline: deal.pipeline, dealstage: deal.stage },
        associations: [
          {
            to: { id: deal.contactId },
            types: [
              {
                associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
                associationTypeId: DEAL_TO_CONTACT_ASSOCIATION_TYPE_ID,
              },
            ],
          },
        ],
      }),
    );
    return { ok: true, id: created.id };
  } catch (error) {
    if (error instanceof CrmError && isRecordFailure(error)) return { ok: false, error };
    throw error;
  }
}
