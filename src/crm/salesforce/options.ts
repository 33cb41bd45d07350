/** Knobs of the Salesforce connector; every one has a default suited to real orgs. */
export interface SalesforceConnectorOptions {
  /**
   * How long an access token is taken to live after its `issued_at`. Salesforce does not say:
   * the org's session timeout decides (15 minutes to 24 hours, 2 hours unless an admin
   * changed it), and it counts from the last use. So `expiresAt` is an estimate; a 401 still
   * triggers the refresh when the estimate was too generous. Default: 2 hours.
   */
  sessionLifetimeMs?: number | undefined;
  /**
   * Wait suggested after 403 REQUEST_LIMIT_EXCEEDED for the daily API limit. Salesforce counts
   * over a rolling 24 hours and gives no hint, so a long wait avoids burning calls that can
   * only fail. Default: 15 minutes.
   */
  requestLimitRetryAfterMs?: number | undefined;
  /** Wait suggested after the concurrent long-running request limit. Default: 30 seconds. */
  concurrencyLimitRetryAfterMs?: number | undefined;
  /**
   * Time one HTTP call may take before it counts as an outage. jsforce's own default is 30
   * minutes, far too long for a push worker. Default: 60 seconds.
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Records per query page (`Sforce-Query-Options: batchSize`, 200 to 2000). Default:
   * Salesforce's own (2000).
   */
  queryBatchSize?: number | undefined;
}

export interface ResolvedOptions {
  sessionLifetimeMs: number;
  requestLimitRetryAfterMs: number;
  concurrencyLimitRetryAfterMs: number;
  requestTimeoutMs: number;
  queryBatchSize: number | undefined;
}

export function resolveOptions(options: SalesforceConnectorOptions = {}): ResolvedOptions {
  return {
    sessionLifetimeMs: options.sessionLifetimeMs ?? 2 * 60 * 60_000,
    requestLimitRetryAfterMs: options.requestLimitRetryAfterMs ?? 15 * 60_000,
    concurrencyLimitRetryAfterMs: options.concurrencyLimitRetryAfterMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    queryBatchSize: options.queryBatchSize,
  };
}
