import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per running app, so two apps in one process (tests) never collide. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'refsync_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly jobsTotal = new Counter({
    name: 'refsync_jobs_total',
    help: 'Jobs run, by queue and outcome (completed, failed)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobsEnqueued = new Counter({
    name: 'refsync_jobs_enqueued_total',
    help: 'Jobs enqueued, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'refsync_job_duration_seconds',
    help: 'Job run time by queue',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Seconds from a sales entry's arrival to its milestone change being committed. */
  readonly entryToMilestone = new Histogram({
    name: 'refsync_sales_entry_to_milestone_seconds',
    help: 'From a CRM event received (sales entry saved) to the milestone change it caused, by connection (api for API entries)',
    labelNames: ['connection'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly jobQueueWait = new Histogram({
    name: 'refsync_job_queue_wait_seconds',
    help: 'From a job becoming runnable (enqueued, or its retry due) to a worker taking it, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  // --- Referral add (push) latency --------------------------------------------------------
  /**
   * From a referral's creation to its CRM record being written (created, or an existing one
   * updated), per connection: what a user waits for before sales sees the referral.
   */
  readonly referralToCrm = new Histogram({
    name: 'refsync_referral_to_crm_seconds',
    help: 'Referral created to its CRM record written, by connection',
    labelNames: ['connection'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  // --- end of referral add latency ----------------------------------------------------------

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'refsync_' });
  }
}
