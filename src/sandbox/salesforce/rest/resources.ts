import type { RestContext, Route } from './context.ts';

/** API versions the sandbox answers, with their release names (newest last). */
export const API_VERSIONS: { version: string; label: string }[] = [
  { version: '50.0', label: "Winter '21" },
  { version: '51.0', label: "Spring '21" },
  { version: '52.0', label: "Summer '21" },
  { version: '53.0', label: "Winter '22" },
  { version: '54.0', label: "Spring '22" },
  { version: '55.0', label: "Summer '22" },
  { version: '56.0', label: "Winter '23" },
  { version: '57.0', label: "Spring '23" },
  { version: '58.0', label: "Summer '23" },
  { version: '59.0', label: "Winter '24" },
  { version: '60.0', label: "Spring '24" },
  { version: '61.0', label: "Summer '24" },
  { version: '62.0', label: "Winter '25" },
  { version: '63.0', label: "Spring '25" },
  { version: '64.0', label: "Summer '25" },
  { version: '65.0', label: "Winter '26" },
];

/** Versions older than the list are still served (jsforce defaults to 50.0 and older tools go lower). */
export function isServedVersion(version: string): boolean {
  const n = Number.parseFloat(version);
  return /^\d+\.0$/.test(version) && n >= 20 && n <= 65;
}

export function versionList(): { label: string; url: string; version: string }[] {
  return API_VERSIONS.map((v) => ({
    label: v.label,
    url: `/services/data/v${v.version}`,
    version: v.version,
  }));
}

function limits(ctx: RestContext) {
  const max = ctx.org.limits.dailyApiRequests;
  const remaining = Math.max(0, max - ctx.org.usage.count);
  return {
    DailyApiRequests: { Max: max, Remaining: remaining },
    DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
    DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
    DataStorageMB: { Max: 5, Remaining: 5 },
    FileStorageMB: { Max: 20, Remaining: 20 },
  };
}

export const resourceRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/?$/,
    handle: (ctx) => {
      const base = `/services/data/v${ctx.version}`;
      return {
        status: 200,
        body: {
          composite: `${base}/composite`,
          limits: `${base}/limits`,
          query: `${base}/query`,
          queryAll: `${base}/queryAll`,
          sobjects: `${base}/sobjects`,
          tooling: `${base}/tooling`,
        },
      };
    },
  },
  { method: 'GET', pattern: /^\/limits\/?$/, handle: (ctx) => ({ status: 200, body: limits(ctx) }) },
];
