import { CrmError, isNetworkError } from './errors.ts';

/** How long one admin call of a sandbox CRM may take. */
const ADMIN_TIMEOUT_MS = 10_000;

/**
 * One JSON call to a sandbox CRM's admin API (`<base>/_admin/...`), which needs no
 * credentials. A failure leaves as a CrmError carrying the sandbox's answer, so callers
 * report it as they report any CRM failure.
 */
export async function sandboxAdmin<T>(url: string, method: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (error) {
    const code = isNetworkError(error) ? 'NETWORK_ERROR' : 'SANDBOX_UNREACHABLE';
    throw new CrmError('unavailable', code, `The sandbox admin API did not answer: ${String(error)}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    const kind =
      response.status === 404 ? 'not_found' : response.status >= 500 ? 'unavailable' : 'validation';
    throw new CrmError(
      kind,
      `HTTP_${response.status}`,
      `The sandbox admin API answered: ${text.slice(0, 300)}`,
      {
        status: response.status,
      },
    );
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
