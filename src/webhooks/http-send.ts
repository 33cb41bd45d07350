import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../core/addresses.ts';

/** A 2xx within this time is a delivery; anything else is retried. */
export const DELIVERY_TIMEOUT_MS = 15_000;
const EXCERPT_BYTES = 1024;

export interface SendResult {
  statusCode: number | null;
  /** The first 1 KB of the answer. */
  excerpt: string | null;
  error: string | null;
  durationMs: number;
}

/**
 * Resolves like the system does, and refuses the connection when any address is private:
 * checked on the address actually connected to, so a name cannot pass a check and then
 * resolve elsewhere.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
      if (refused) {
        const problem = new Error(
          `${hostname} resolves to ${refused.address}, a private, loopback or link-local address`,
        );
        return callback(Object.assign(problem, { code: 'EPRIVATE' }), '', 4);
      }
      const [first] = addresses;
      if (!first) return callback(new Error(`${hostname} has no address`), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

/** Why a destination host may not be called (an address literal), or undefined. */
export function literalProblem(url: URL, allowPrivate: boolean): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    return `${host} is a private, loopback or link-local address`;
  }
  return undefined;
}

/** POSTs `body` once. Redirects are answers like any other (not followed). Never throws. */
export function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  allowPrivate: boolean,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const target = new URL(url);
    const problem = literalProblem(target, allowPrivate);
    if (problem) {
      finish({ statusCode: null, excerpt: null, error: `refused: ${problem}` });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
      lookup: guardedLookup(allowPrivate),
    });
    timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`));
    }, DELIVERY_TIMEOUT_MS);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
        finish({ statusCode: response.statusCode ?? null, excerpt, error: null });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= EXCERPT_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      const prefix = code === 'EPRIVATE' ? 'refused' : 'failed';
      finish({ statusCode: null, excerpt: null, error: `${prefix}: ${error.message}` });
    });
    request.end(body);
  });
}
