import { sql } from 'drizzle-orm';
import type { FulfilmentProvider } from './types.ts';

/** Both drivers answer `execute` with `{ rows }`. */
interface CodeRow {
  code: string;
}

/**
 * Gives the reward one code of its rule's pool. The code is taken with `FOR UPDATE SKIP
 * LOCKED`, so concurrent rewards take different codes without waiting on each other, and a
 * reward that already holds a code (a retry) keeps it.
 */
export const couponProvider: FulfilmentProvider = {
  method: 'coupon',
  pay: async ({ ctx, reward }) => {
    const taken = (await ctx.db.execute(sql`
      with held as (
        select code from coupon_codes where reward_id = ${reward.id}
      ), free as (
        select id from coupon_codes
        where rule_id = ${reward.ruleId} and reward_id is null and not exists (select 1 from held)
        order by id
        limit 1
        for update skip locked
      ), took as (
        update coupon_codes set reward_id = ${reward.id}, assigned_at = now()
        where id in (select id from free)
        returning code
      )
      select code from held union all select code from took`)) as { rows: CodeRow[] };
    const code = taken.rows[0]?.code;
    if (code) return { outcome: 'paid', ref: code };
    return {
      outcome: 'failed',
      reason: `The coupon pool of rule ${reward.ruleId} is empty: upload codes, then retry the reward`,
      retryable: false,
    };
  },
};
