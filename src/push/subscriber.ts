import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { EventJob } from '../queue/events.ts';
import { defineSubscriber } from '../queue/subscriber.ts';
import { pushSubjects } from './engine.ts';
import { unfinishedSubjects } from './log-service.ts';
import { activeSettingsFor, type PushSettingsRow } from './settings-service.ts';
import { pushSettings } from './tables.ts';

type PushEvent = 'referral.created' | 'member.created' | 'push.requested' | 'connection.reconnected';

/**
 * Turns a batch of events into subjects per push setting. `requested` holds the subjects a
 * person asked to push again (a retry), whose attempt is logged even when already pushed.
 */
async function plan(app: AppContext, jobs: Array<EventJob<PushEvent>>) {
  const groups = new Map<string, { settings: PushSettingsRow; ids: Set<string>; requested: Set<string> }>();
  const add = (settings: PushSettingsRow, id: string, requested = false) => {
    const group = groups.get(settings.id) ?? {
      settings,
      ids: new Set<string>(),
      requested: new Set<string>(),
    };
    group.ids.add(id);
    if (requested) group.requested.add(id);
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
    switch (job.type) {
      case 'referral.created': {
        const { payload } = job;
        for (const settings of await active(payload.programId, 'referral')) add(settings, payload.referralId);
        break;
      }
      case 'member.created': {
        const { payload } = job;
        for (const settings of await active(payload.programId, 'member')) add(settings, payload.memberId);
        break;
      }
      case 'push.requested': {
        const { payload } = job;
        const [settings] = await app.db
          .select()
          .from(pushSettings)
          .where(and(eq(pushSettings.id, payload.settingsId), eq(pushSettings.workspaceId, job.workspaceId)));
        if (settings) add(settings, payload.subjectId, true);
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
          if (settings?.enabled) add(settings, item.subjectId);
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
  batchSize: 200,
  // A full batch is a few bulk CRM calls per push setting.
  expireInSeconds: 120,
  retryLimit: 12,
  retryDelay: 5,
  retryDelayMax: 900,
  handle: async (job, context) => {
    for (const group of await plan(context.app, [job]))
      await pushSubjects(context.app, group.settings, [...group.ids], group.requested);
  },
  handleBatch: async (jobs, context) => {
    let retryable: unknown;
    for (const group of await plan(context.app, jobs)) {
      try {
        await pushSubjects(context.app, group.settings, [...group.ids], group.requested);
      } catch (error) {
        retryable = error;
      }
    }
    if (retryable) throw retryable;
  },
});
