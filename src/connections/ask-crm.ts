import { AppError } from '../core/errors.ts';
import { CrmError } from '../crm/errors.ts';
import { excerpt } from './foreign-text.ts';
import { ConnectionNeedsReauth } from './service.ts';

/**
 * A CRM call made for a person: its failure (already in the connection's health) answers as
 * the CRM's fault, with a short excerpt of what it said, never as refsync's own 500.
 */
export async function askCrm<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConnectionNeedsReauth) {
      throw new AppError('conflict', `The connection needs reconnecting: ${error.message}`, {
        details: { connectionId: error.connectionId },
      });
    }
    if (error instanceof CrmError) {
      throw new AppError(
        'crm_error',
        `The CRM call failed: ${excerpt(`${error.crmCode}: ${error.message}`)}`,
        {
          details: { crmCode: excerpt(error.crmCode), retryable: error.retryable },
          retryable: error.retryable,
        },
      );
    }
    throw error;
  }
}
