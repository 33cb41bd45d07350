import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../../../core/crypto.ts';

/** HubSpot's own limit on the age of `X-HubSpot-Request-Timestamp`. */
export const maxTimestampAgeMs = 5 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The full URL as HubSpot called it (scheme, host, path and query). */
  url: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export type SignatureCheck = { valid: true; version: 'v1' | 'v2' | 'v3' } | { valid: false; reason: string };

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a webhook request against one client secret, over the exact bytes received.
 *
 * v3 (`X-HubSpot-Signature-v3`): Base64 HMAC-SHA256 keyed by the secret over method + URL +
 * body + timestamp, with the timestamp at most five minutes old (or ahead: a clock that far
 * off is as suspicious). v1 (hex SHA-256 of secret + body) and v2 (hex SHA-256 of secret +
 * method + URL + body) have no timestamp, so a captured request replays forever; they are
 * accepted only when `allowLegacy` is set, and only when no v3 signature was sent.
 */
export function checkHubspotSignature(
  request: SignedRequest,
  clientSecret: string,
  options: { allowLegacy: boolean; now?: number },
): SignatureCheck {
  const v3 = header(request, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const timestamp = header(request, 'x-hubspot-request-timestamp');
    if (!timestamp || !/^\d{1,16}$/.test(timestamp)) {
      return { valid: false, reason: 'X-HubSpot-Request-Timestamp is missing or not a number' };
    }
    const age = (options.now ?? Date.now()) - Number(timestamp);
    if (Math.abs(age) > maxTimestampAgeMs) {
      return { valid: false, reason: 'X-HubSpot-Request-Timestamp is more than 5 minutes off' };
    }
    const expected = createHmac('sha256', clientSecret)
      .update(Buffer.concat([Buffer.from(request.method + request.url, 'utf8'), request.rawBody]))
      .update(timestamp, 'utf8')
      .digest('base64');
    return safeEqual(expected, v3)
      ? { valid: true, version: 'v3' }
      : { valid: false, reason: 'X-HubSpot-Signature-v3 does not match' };
  }
  const legacy = header(request, 'x-hubspot-signature');
  if (legacy === undefined) return { valid: false, reason: 'the request is not signed' };
  if (!options.allowLegacy) {
    return {
      valid: false,
      reason: 'only v3 signatures are accepted (REFSYNC_HUBSPOT_LEGACY_SIGNATURES is off)',
    };
  }
  const version = (header(request, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  if (version !== 'v1' && version !== 'v2') {
    return { valid: false, reason: `unknown X-HubSpot-Signature-Version ${version}` };
  }
  const hash = createHash('sha256').update(clientSecret, 'utf8');
  if (version === 'v2') hash.update(request.method + request.url, 'utf8');
  const expected = hash.update(request.rawBody).digest('hex');
  return safeEqual(expected, legacy.toLowerCase())
    ? { valid: true, version }
    : { valid: false, reason: `X-HubSpot-Signature (${version}) does not match` };
}
