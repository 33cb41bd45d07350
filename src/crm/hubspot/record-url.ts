import type { CrmSession } from '../types.ts';
import { OBJECTS, REAL_API_HOST } from './facts.ts';

/**
 * A link a person can open. On HubSpot: the record page in the app
 * (`<app host>/contacts/<portal>/record/<type id>/<id>`). On the sandbox, which has no page
 * per record, its web page listing that portal's records of the type.
 */
export function recordUrl(session: CrmSession, object: string, id: string): string {
  const { baseUrl, authorizeBaseUrl } = session.endpoints;
  const portal = encodeURIComponent(session.accountId);
  if (REAL_API_HOST.test(new URL(baseUrl).hostname)) {
    const typeId = OBJECTS[object]?.typeId ?? object;
    return `${authorizeBaseUrl.replace(/\/+$/, '')}/contacts/${portal}/record/${typeId}/${encodeURIComponent(id)}`;
  }
  return `${baseUrl.replace(/\/+$/, '')}/_ui/portals/${portal}?type=${encodeURIComponent(object)}`;
}
