import type { CrmSession } from '../types.ts';
import { API_VERSION, SALESFORCE_HOST_SUFFIXES, SANDBOX_UI_OBJECTS } from './provider.ts';

function isSalesforceHost(url: URL): boolean {
  const host = `.${url.hostname.toLowerCase()}`;
  return SALESFORCE_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

/**
 * Where a person sees a record. A real org opens it in Lightning (the `my.salesforce.com`
 * host redirects to the org's Lightning domain). refsync's sandbox has no page per record,
 * only a list per object, so the link opens that list with the ID as fragment; objects it
 * does not list fall back to the REST resource.
 */
export function recordUrl(session: CrmSession, object: string, id: string): string {
  const base = (session.instanceUrl ?? session.endpoints.baseUrl).replace(/\/$/, '');
  const type = encodeURIComponent(object);
  const recordId = encodeURIComponent(id);
  if (URL.canParse(base) && isSalesforceHost(new URL(base)))
    return `${base}/lightning/r/${type}/${recordId}/view`;
  if ((SANDBOX_UI_OBJECTS as readonly string[]).includes(object)) {
    return `${base}/_ui/orgs/${encodeURIComponent(session.accountId)}?object=${type}#${recordId}`;
  }
  return `${base}/services/data/v${API_VERSION}/sobjects/${type}/${recordId}`;
}
