import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { newKey, type StoredKey } from './api-keys.ts';

/**
 * Fault knobs and key rotation the payment sandboxes (Stripe, Tremendous) share: the same
 * admin body, the same order of faults, only the errors a caller sees differ.
 */
export interface PaymentFaults {
  latencyMs: number;
  /** Share of API calls (0..1) answered with a server error. */
  errorRate: number;
  /** The next N API calls answer 429. */
  forced429Remaining: number;
  /** The next N API calls answer 500. */
  forced500Remaining: number;
  /**
   * Share of API calls (0..1) that run, then lose their answer: the connection is cut after
   * the work was done, as when the caller's timeout fires while the service acts. Absent in
   * state saved before it existed.
   */
  lostAnswerRate?: number;
  /** How many answers were lost so far (kept until the knobs are reset). */
  answersLost?: number;
}

export function noFaults(): PaymentFaults {
  return { latencyMs: 0, errorRate: 0, forced429Remaining: 0, forced500Remaining: 0, lostAnswerRate: 0 };
}

export const faultsBody = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    force429Count: z.number().int().min(0).optional(),
    force500Count: z.number().int().min(0).optional(),
    lostAnswerRate: z.number().min(0).max(1).optional(),
  })
  .strict();

/** Sets the knobs the admin body names and leaves the others as they are. */
export function setFaults(faults: PaymentFaults, input: z.infer<typeof faultsBody>): void {
  if (input.latencyMs !== undefined) faults.latencyMs = input.latencyMs;
  if (input.errorRate !== undefined) faults.errorRate = input.errorRate;
  if (input.force429Count !== undefined) faults.forced429Remaining = input.force429Count;
  if (input.force500Count !== undefined) faults.forced500Remaining = input.force500Count;
  if (input.lostAnswerRate !== undefined) faults.lostAnswerRate = input.lostAnswerRate;
}

const losing = new WeakMap<FastifyRequest, PaymentFaults>();

/**
 * An `onSend` hook for the APIs: a call chosen by `lostAnswerRate` that succeeded loses its
 * answer (the socket is cut), after the endpoint did its work and, on Stripe, saved its
 * idempotent answer. A retry must then find what the first call made, not make it again.
 */
export async function cutLostAnswers(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const faults = losing.get(request);
  if (faults !== undefined && reply.statusCode < 300) {
    faults.answersLost = (faults.answersLost ?? 0) + 1;
    request.raw.socket.destroy();
  }
  return payload;
}

/**
 * Faults in the order a caller meets them on a network: latency first, then forced 429s
 * and 500s, then random server errors. They hit before the endpoint runs, so no
 * idempotent answer is saved for them and a retry with the same key runs for real. Last,
 * the call may be chosen to lose its answer after it ran (`cutLostAnswers`).
 */
export async function applyFaults(
  faults: PaymentFaults,
  changed: () => void,
  errors: { rateLimited: () => Error; serverError: () => Error },
  request?: FastifyRequest,
): Promise<void> {
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  if (faults.forced429Remaining > 0) {
    faults.forced429Remaining -= 1;
    changed();
    throw errors.rateLimited();
  }
  if (faults.forced500Remaining > 0) {
    faults.forced500Remaining -= 1;
    changed();
    throw errors.serverError();
  }
  if (faults.errorRate > 0 && Math.random() < faults.errorRate) throw errors.serverError();
  const lost = faults.lostAnswerRate ?? 0;
  if (request !== undefined && lost > 0 && Math.random() < lost) losing.set(request, faults);
}

/** Every key stops working, as when a key is rolled without grace. */
export function revokeKeys(keys: StoredKey[]): void {
  for (const key of keys) key.revoked = true;
}

/** Revokes every key and adds a new one; the key itself is returned once and never kept. */
export function rollKey(keys: StoredKey[], prefix: string, length: number): string {
  revokeKeys(keys);
  const { key, stored } = newKey(prefix, length);
  keys.push(stored);
  return key;
}
