import { createHash, createHmac } from 'node:crypto';
import type { SignatureVersion } from './state.ts';

/**
 * Webhook signature headers. v1: hex SHA-256 of secret + body; v2: hex SHA-256 of
 * secret + method + URL + body; v3: Base64 HMAC-SHA256 keyed by the secret over
 * method + URL + body + timestamp. All over the exact bytes sent.
 */
export function signatureHeaders(input: {
  versions: readonly SignatureVersion[];
  clientSecret: string;
  method: string;
  url: string;
  body: string;
  timestamp: number;
}): Record<string, string> {
  const { versions, clientSecret, method, url, body, timestamp } = input;
  const headers: Record<string, string> = {};
  // v1 and v2 share one header; v2 wins when both are asked for.
  if (versions.includes('v2')) {
    headers['X-HubSpot-Signature'] = sha256Hex(clientSecret + method + url + body);
    headers['X-HubSpot-Signature-Version'] = 'v2';
  } else if (versions.includes('v1')) {
    headers['X-HubSpot-Signature'] = sha256Hex(clientSecret + body);
    headers['X-HubSpot-Signature-Version'] = 'v1';
  }
  if (versions.includes('v3')) {
    headers['X-HubSpot-Signature-v3'] = createHmac('sha256', clientSecret)
      .update(method + url + body + String(timestamp), 'utf8')
      .digest('base64');
    headers['X-HubSpot-Request-Timestamp'] = String(timestamp);
  }
  return headers;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
