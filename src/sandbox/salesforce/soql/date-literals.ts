import { DAY_MS, startOfUtcDay } from '../datetime.ts';

/**
 * SOQL date literals as half-open UTC ranges [start, end). Each entry takes "now" and the
 * `:n` argument (ignored for literals without one). The org time zone is UTC here.
 */
const FIXED: Record<string, (now: number) => [number, number]> = {
  TODAY: (now) => [startOfUtcDay(now), startOfUtcDay(now) + DAY_MS],
  YESTERDAY: (now) => [startOfUtcDay(now) - DAY_MS, startOfUtcDay(now)],
  TOMORROW: (now) => [startOfUtcDay(now) + DAY_MS, startOfUtcDay(now) + 2 * DAY_MS],
  THIS_WEEK: (now) => week(now, 0),
  LAST_WEEK: (now) => week(now, -1),
  NEXT_WEEK: (now) => week(now, 1),
  THIS_MONTH: (now) => month(now, 0),
  LAST_MONTH: (now) => month(now, -1),
  NEXT_MONTH: (now) => month(now, 1),
  THIS_YEAR: (now) => {
    const y = new Date(now).getUTCFullYear();
    return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
  },
};

const WITH_N: Record<string, (now: number, n: number) => [number, number]> = {
  // Starts n days before today and runs through the end of today.
  LAST_N_DAYS: (now, n) => [startOfUtcDay(now) - n * DAY_MS, startOfUtcDay(now) + DAY_MS],
  NEXT_N_DAYS: (now, n) => [startOfUtcDay(now), startOfUtcDay(now) + (n + 1) * DAY_MS],
  N_DAYS_AGO: (now, n) => [startOfUtcDay(now) - n * DAY_MS, startOfUtcDay(now) - (n - 1) * DAY_MS],
  LAST_N_WEEKS: (now, n) => [week(now, -n)[0], week(now, 0)[0]],
  LAST_N_MONTHS: (now, n) => [month(now, -n)[0], month(now, 0)[0]],
};

function week(now: number, offset: number): [number, number] {
  const today = startOfUtcDay(now);
  // Weeks start on Sunday, as in the default en_US locale.
  const start = today - new Date(today).getUTCDay() * DAY_MS + offset * 7 * DAY_MS;
  return [start, start + 7 * DAY_MS];
}

function month(now: number, offset: number): [number, number] {
  const d = new Date(now);
  return [
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1),
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset + 1, 1),
  ];
}

export function isDateLiteral(name: string): boolean {
  const upper = name.toUpperCase();
  return upper in FIXED || upper in WITH_N;
}

export function needsArgument(name: string): boolean {
  return name.toUpperCase() in WITH_N;
}

export function dateLiteralRange(name: string, now: number, n: number): [number, number] {
  const upper = name.toUpperCase();
  const fixed = FIXED[upper];
  if (fixed) return fixed(now);
  const withN = WITH_N[upper];
  if (withN) return withN(now, n);
  throw new Error(`unknown date literal ${name}`);
}
