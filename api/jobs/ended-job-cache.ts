import type { JobResponse } from '../../contract';

/**
 * An ended job's answer changes only when the job is retried, so it is kept for a moment: a client
 * polling a finished job (or many clients) costs one MongoDB read a second, not one per request.
 * A retry through this process forgets the job at once; one through another API process is seen
 * here within the time to live and one read.
 */
export const ENDED_JOB_CACHE_TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

interface Remembered {
  job: JobResponse;
  until: number;
  rereading: boolean;
}

export function createEndedJobCache(ttlMs = ENDED_JOB_CACHE_TTL_MS) {
  const answers = new Map<string, Remembered>();
  const keyOf = (tenant: string, jobId: string) => `${tenant}\u0000${jobId}`;
  const remember = (key: string, job: JobResponse) => {
    if (answers.size >= MAX_ENTRIES) answers.clear();
    answers.set(key, { job, until: Date.now() + ttlMs, rereading: false });
  };
  return {
    /**
     * The remembered answer. Once older than the time to live it is given once more while one
     * `reread` (at a time) replaces it behind the request, or drops it when the job is no longer
     * ended (or the read fails), so the next request asks afresh. Expiry so costs no request a
     * read: at 200 requests/s, those that waited for it were the p99.
     */
    get(tenant: string, jobId: string, reread: () => Promise<JobResponse | null>): JobResponse | undefined {
      const key = keyOf(tenant, jobId);
      const entry = answers.get(key);
      if (!entry) return undefined;
      if (entry.until <= Date.now() && !entry.rereading) {
        entry.rereading = true;
        const replace = (job: JobResponse | null) => {
          if (answers.get(key) !== entry) return; // forgotten or replaced meanwhile
          if (job) remember(key, job);
          else answers.delete(key);
        };
        reread().then(replace, () => replace(null));
      }
      return entry.job;
    },
    remember(tenant: string, jobId: string, job: JobResponse): void {
      remember(keyOf(tenant, jobId), job);
    },
    forget(tenant: string, jobId: string): void {
      answers.delete(keyOf(tenant, jobId));
    },
  };
}
