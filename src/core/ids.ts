import { randomBytes } from 'node:crypto';

/** Crockford base32: sortable as plain ASCII, no ambiguous letters. */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

const prefixes = {
  workspace: 'ws',
  apiKey: 'key',
  program: 'prg',
  member: 'mem',
  referral: 'ref',
  milestoneChange: 'mch',
  event: 'evt',
  connection: 'con',
  pushSettings: 'pst',
  pushLog: 'plg',
  receiverSettings: 'rcv',
  salesEntry: 'sle',
  rewardRule: 'rwr',
  reward: 'rwd',
  rewardEvent: 'rwe',
  couponCode: 'cpn',
  webhookEndpoint: 'whe',
  webhookMessage: 'msg',
  webhookAttempt: 'wha',
  email: 'eml',
  click: 'clk',
  publishableKey: 'pkid',
  portalLink: 'plk',
  portalSession: 'pss',
  captureReview: 'crv',
  user: 'usr',
  session: 'ses',
  invitation: 'inv',
  signInFailure: 'sif',
} as const;

export type IdKind = keyof typeof prefixes;

let lastTime = 0;
let sequence = 0;

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = alphabet.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * `<prefix>_<10 chars of time><4 chars of sequence><12 random chars>`. IDs made later sort
 * after earlier ones (within one process even in the same millisecond), which is what
 * cursor pagination orders by.
 */
export function newId(kind: IdKind): string {
  const now = Date.now();
  if (now === lastTime) {
    sequence++;
  } else {
    lastTime = now;
    sequence = 0;
  }
  let seq = '';
  let rest = sequence;
  for (let i = 0; i < 4; i++) {
    seq = alphabet.charAt(rest % 32) + seq;
    rest = Math.floor(rest / 32);
  }
  return `${prefixes[kind]}_${encodeTime(now)}${seq}${randomString(12)}`;
}

export function randomString(length: number, chars: string = alphabet): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += chars.charAt(byte % chars.length);
  return out;
}
