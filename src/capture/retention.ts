import { asc, inArray, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { captureClickDays, captureClicks } from './tables.ts';

const dayMs = 24 * 3600 * 1000;

/** Clicks before this go: the start (UTC) of the day `retentionDays` ago, so days are folded whole. */
export function clickCutoff(retentionDays: number, now: Date): Date {
  return new Date(Math.floor(now.getTime() / dayMs) * dayMs - retentionDays * dayMs);
}

/**
 * Folds clicks older than the retention period into counts per member and UTC day and deletes
 * them, `batch` at a time, each batch in one transaction (so a click is counted as a row or in
 * a day, never both or neither). Rows are taken with SKIP LOCKED, so processes share the work.
 * Answers how many clicks went.
 */
export async function pruneClicks(ctx: AppContext, now: Date = new Date(), batch = 5000): Promise<number> {
  const cutoff = clickCutoff(ctx.config.clickRetentionDays, now);
  let total = 0;
  for (;;) {
    const done = await ctx.db.transaction(async (tx) => {
      const old = await tx
        .select({
          id: captureClicks.id,
          workspaceId: captureClicks.workspaceId,
          programId: captureClicks.programId,
          memberId: captureClicks.memberId,
          createdAt: captureClicks.createdAt,
        })
        .from(captureClicks)
        .where(lt(captureClicks.createdAt, cutoff))
        .orderBy(asc(captureClicks.createdAt))
        .limit(batch)
        .for('update', { skipLocked: true });
      if (old.length === 0) return 0;
      const days = new Map<string, typeof captureClickDays.$inferInsert>();
      for (const click of old) {
        const day = click.createdAt.toISOString().slice(0, 10);
        const key = `${click.programId}|${click.memberId}|${day}`;
        const entry = days.get(key);
        if (entry) entry.clicks += 1;
        else
          days.set(key, {
            programId: click.programId,
            memberId: click.memberId,
            workspaceId: click.workspaceId,
            day,
            clicks: 1,
          });
      }
      await tx
        .insert(captureClickDays)
        .values([...days.values()])
        .onConflictDoUpdate({
          target: [captureClickDays.programId, captureClickDays.memberId, captureClickDays.day],
          set: { clicks: sql`${captureClickDays.clicks} + excluded.clicks` },
        });
      await tx.delete(captureClicks).where(
        inArray(
          captureClicks.id,
          old.map((click) => click.id),
        ),
      );
      return old.length;
    });
    total += done;
    if (done < batch) return total;
  }
}

interface Pruner {
  timers: NodeJS.Timeout[];
  pass: Promise<unknown>;
}

const running = new WeakMap<AppContext, Pruner>();

/**
 * Worker processes prune clicks a minute after start (so processes that restart often still
 * do it) and then every hour (retention is counted in days).
 */
export function startClickPruner(ctx: AppContext, everyMs = 3600_000): void {
  if (running.has(ctx)) return;
  const state: Pruner = { timers: [], pass: Promise.resolve() };
  const run = () => {
    state.pass = pruneClicks(ctx).catch((error: unknown) =>
      ctx.logger.warn({ err: error }, 'pruning old referral link clicks failed'),
    );
  };
  state.timers.push(setTimeout(run, Math.min(everyMs, 60_000)), setInterval(run, everyMs));
  for (const timer of state.timers) timer.unref();
  running.set(ctx, state);
}

/** Stops the timers and waits for a pass under way, so the database is not closed under it. */
export async function stopClickPruner(ctx: AppContext): Promise<void> {
  const state = running.get(ctx);
  if (!state) return;
  for (const timer of state.timers) clearTimeout(timer);
  running.delete(ctx);
  await state.pass;
}
