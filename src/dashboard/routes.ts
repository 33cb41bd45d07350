import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { funnel as captureFunnel } from '../capture/stats.ts';
import { listConnections, toConnectionView } from '../connections/service.ts';
import type { AppContext } from '../context.ts';
import { validationFailed } from '../core/errors.ts';
import { callerOf } from '../http/auth.ts';
import { getProgram, listPrograms } from '../programs/service.ts';
import { noReceiverHealth, receiverHealthOf } from '../receiver/connection-state.ts';
import { entryStatuses } from '../receiver/entries/schemas.ts';
import { entryCountsByStatus } from '../receiver/entries/stats.ts';
import { milestoneFunnel, referralsPerDay } from '../referrals/stats.ts';
import { type DashboardQuery, type DashboardView, dashboardQuery, dashboardSchema } from './schemas.ts';

const dayMs = 24 * 3600 * 1000;
const maxDays = 366;

function periodOf(query: DashboardQuery): { from: Date; to: Date; days: string[] } {
  const today = new Date().toISOString().slice(0, 10);
  const last = new Date(`${query.to ?? today}T00:00:00Z`);
  const first = query.from ? new Date(`${query.from}T00:00:00Z`) : new Date(last.getTime() - 29 * dayMs);
  const count = Math.round((last.getTime() - first.getTime()) / dayMs) + 1;
  if (count < 1) throw validationFailed([{ field: 'from', message: 'must be on or before to' }]);
  if (count > maxDays)
    throw validationFailed([{ field: 'from', message: `the period is at most ${maxDays} days` }]);
  const days = Array.from({ length: count }, (_, i) =>
    new Date(first.getTime() + i * dayMs).toISOString().slice(0, 10),
  );
  return { from: first, to: new Date(last.getTime() + dayMs), days };
}

/** Aggregates for the console's dashboard, all of the caller's workspace. */
export const dashboardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Funnel, referrals per day, sales entries by outcome and connection health for a period',
        querystring: dashboardQuery,
        response: { 200: dashboardSchema },
      },
    },
    async (request): Promise<DashboardView> => {
      const { workspaceId } = callerOf(request);
      const period = periodOf(request.query);
      const program = request.query.programId
        ? await getProgram(ctx.db, workspaceId, request.query.programId)
        : (await listPrograms(ctx.db, workspaceId, { limit: 1 })).data[0];
      const funnel = program
        ? await milestoneFunnel(ctx.db, workspaceId, program.id, period)
        : { reached: new Map<string, number>(), current: new Map<string, number>() };
      const capture = program
        ? (await captureFunnel(ctx.db, { ...program, workspaceId }, { period })).total
        : { clicks: 0, referrals: 0, qualified: 0, won: 0 };
      const perDay = program ? await referralsPerDay(ctx.db, workspaceId, program.id, period) : [];
      const byDay = new Map(perDay.map((row) => [row.day, row.count]));
      const entries = await entryCountsByStatus(ctx.db, workspaceId, period);
      const connections = await listConnections(ctx.db, workspaceId);
      const health = await receiverHealthOf(
        ctx.db,
        connections.map((row) => row.id),
      );
      return {
        programId: program?.id ?? null,
        from: period.days[0] ?? '',
        to: period.days.at(-1) ?? '',
        funnel: (program?.milestones ?? []).map((milestone) => ({
          milestone: milestone.code,
          label: milestone.label,
          kind: milestone.kind,
          reached: funnel.reached.get(milestone.code) ?? 0,
          current: funnel.current.get(milestone.code) ?? 0,
        })),
        capture,
        referralsPerDay: period.days.map((day) => ({ day, count: byDay.get(day) ?? 0 })),
        salesEntries: entryStatuses.map((status) => ({ status, count: entries.get(status) ?? 0 })),
        connections: connections.map((row) => {
          const view = toConnectionView(row, health.get(row.id) ?? noReceiverHealth);
          return {
            id: view.id,
            name: view.name,
            provider: view.provider,
            status: view.status,
            lastSuccessAt: view.lastSuccessAt,
            lastErrorAt: view.lastErrorAt,
            lastError: view.lastError,
            lastEntryAt: view.lastEntryAt,
          };
        }),
      };
    },
  );
};
