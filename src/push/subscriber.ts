import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { EventJob } from '../queue/events.ts';
import { defineSubscriber } from '../queue/subscriber.ts';
import { pushSubjects } from './engine.ts';
import { unfinishedSubjects } from './log-service.ts';
import { activeSettingsFor, type PushSettingsRow } from './settings-service.ts';
import { pushSettings } from './tables.ts';

type PushEvent = 'referral.created' | 'member.created' | 'push.requested' | 'connection.reconnected';

interface Group {
  settings: PushSettingsRow;
  ids: Set<string>;
  /** Subjects a person asked to push again, whose attempt is logged even when already pushed. */
  requested: Set<string>;
  /** Subjects an earlier attempt may have written without remembering. */
  retried: Set<string>;
}

/**
 * Turns a batch of events into subjects per push setting. A new referral or member is on its
 * first attempt unless its job ran before (`retried`: event IDs); a person's retry and a
 * resumed wait may follow an attempt that wrote to the CRM.
 */
async function plan(app: AppContext, jobs: Array<EventJob<PushEvent>>, retried: ReadonlySet<string>) {
  const groups = new Map<string, Group>();
  const add = (settings: PushSettingsRow, id: string, how: { requested?: boolean; again: boolean }) => {
    const group = groups.get(settings.id) ?? {
      settings,
      ids: new Set<string>(),
      requested: new Set<string>(),
      retried: new Set<string>(),
    };
    group.ids.add(id);
    if (how.requested) group.requested.add(id);
    if (how.again) group.retried.add(id);
    groups.set(settings.id, group);
  };
  const settingsCache = new Map<string, PushSettingsRow[]>();
  const active = async (programId: string, subject: 'referral' | 'member') => {
    const key = `${programId}:${subject}`;
    const cached = settingsCache.get(key) ?? (await activeSettingsFor(app.db, programId, subject));
    settingsCache.set(key, cached);
    return cached;
  };
  for (const job of jobs) {
    const again = retried.has(job.eventId);
    switch (job.type) {
      case 'referral.created': {
        const { payload } = job;
        for (const settings of await active(payload.programId, 'referral'))
          add(settings, payload.referralId, { again });
        break;
      }
      case 'member.created': {
        const { payload } = job;
        for (const settings of await active(payload.programId, 'member'))
          add(settings, payload.memberId, { again });
        break;
      }
      case 'push.requested': {
        const { payload } = job;
        const [settings] = await app.db
          .select()
          .from(pushSettings)
          .where(and(eq(pushSettings.id, payload.settingsId), eq(pushSettings.workspaceId, job.workspaceId)));
        if (settings) add(settings, payload.subjectId, { requested: true, again: true });
        break;
      }
      case 'connection.reconnected': {
        const { payload } = job;
        const waiting = await unfinishedSubjects(app.db, job.workspaceId, {
          connectionId: payload.connectionId,
        });
        for (const item of waiting) {
          const [settings] = await app.db
            .select()
            .from(pushSettings)
            .where(eq(pushSettings.id, item.settingsId));
          if (settings?.enabled) add(settings, item.subjectId, { again: true });
        }
        break;
      }
    }
  }
  return [...groups.values()];
}

/**
 * Referral add: new referrals and members go to every enabled push setting of their
 * program, in batches when there is a backlog. Each setting is pushed on its own, so one
 * CRM's outage does not hold back another's; the batch is retried if any failed in a way
 * that can pass (pushes already done are remembered and not repeated).
 */
export const pushSubscriber = defineSubscriber<PushEvent>({
  queue: 'push',
  on: ['referral.created', 'member.created', 'push.requested', 'connection.reconnected'],
  // A new referral or member is only work when its program pushes that kind somewhere.
  enqueueWhen: (job) => {
    if (job.type !== 'referral.created' && job.type !== 'member.created') return undefined;
    const subject = job.type === 'referral.created' ? 'referral' : 'member';
    return sql`exists (
      select 1 from ${pushSettings}
      where ${pushSettings.programId} = ${job.payload.programId} and ${pushSettings.subject} = ${subject}
        and ${pushSettings.enabled})`;
  },
  // A backlog batch is several CRM batch calls, in flight together (CHUNKS_IN_FLIGHT) under
  // the CRM's pacer. One batch at a time per worker: a trickle of new referrals is gathered
  // into fewer, fuller batches, and one subject is never pushed by two batches at once.
  batchSize: 400,
  // A full batch is a few bulk CRM calls per push setting.
  expireInSeconds: 120,
  retryLimit: 12,
  retryDelay: 5,
  retryDelayMax: 900,
  handle: async (job, context) => {
    const retried = new Set(context.retryCount > 0 ? [job.eventId] : []);
    for (const group of await plan(context.app, [job], retried))
      await pushSubjects(context.app, group.settings, [...group.ids], group.requested, group.retried);
  },
  handleBatch: async (jobs, context) => {
    let retryable: unknown;
    for (const group of await plan(context.app, jobs, context.retried)) {
      try {
        await pushSubjects(context.app, group.settings, [...group.ids], group.requested, group.retried);
      } catch (error) {
        retryable = error;
      }
    }
    if (retryable) throw retryable;
  },
});
