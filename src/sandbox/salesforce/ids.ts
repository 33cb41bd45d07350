import { randomBytes } from 'node:crypto';

/** Three-character key prefixes Salesforce puts in front of every record ID, per object. */
export const KEY_PREFIXES = {
  Organization: '00D',
  User: '005',
  Account: '001',
  Contact: '003',
  Lead: '00Q',
  Opportunity: '006',
  OpportunityContactRole: '00K',
  Campaign: '701',
  CampaignMember: '00v',
  CustomField: '00N',
  OutboundMessage: '04k',
  OutboundNotification: '04l',
  QueryLocator: '01g',
} as const;

export type KeyPrefixOwner = keyof typeof KEY_PREFIXES;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The three characters that turn a case-sensitive 15-character ID into the 18-character
 * case-insensitive form: one character per 5-character chunk, each bit set when that
 * position holds an upper-case letter.
 */
export function idChecksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET.charAt(bits);
  }
  return suffix;
}

export function to18(id: string): string {
  return id.length === 15 ? id + idChecksum(id) : id;
}

const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/;

/** True for strings shaped like a record ID (15 or 18 characters, valid checksum). */
export function looksLikeId(value: string): boolean {
  if (!ID_PATTERN.test(value)) return false;
  return value.length === 15 || idChecksum(value.slice(0, 15)) === value.slice(15);
}

function base62(n: number, width: number): string {
  let out = '';
  let rest = n;
  while (rest > 0) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/** Two random characters standing in for the pod/instance part of every ID of an org. */
export function newPod(): string {
  const bytes = randomBytes(2);
  return BASE62.charAt((bytes[0] ?? 0) % 62) + BASE62.charAt((bytes[1] ?? 0) % 62);
}

/** Builds an 18-character ID: prefix (3) + pod (2) + sequence (10) + checksum (3). */
export function makeId(prefix: string, pod: string, sequence: number): string {
  const id15 = `${prefix}${pod}${base62(sequence, 10)}`;
  return id15 + idChecksum(id15);
}

/** An ID with a random body, for orgs, users and other one-off identifiers. */
export function randomId(prefix: string): string {
  const bytes = randomBytes(10);
  let body = '';
  for (const b of bytes) body += BASE62.charAt(b % 62);
  const id15 = prefix + body.slice(0, 2) + '0'.repeat(3) + body.slice(2, 9);
  return id15 + idChecksum(id15);
}

export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** The object an ID belongs to, read from its key prefix. */
export function prefixOf(id: string): string {
  return id.slice(0, 3);
}
