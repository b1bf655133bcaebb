import type { JobResponse } from '../contract';

/**
 * An ended job's answer changes only when the job is retried, so it is kept for a moment: a client
 * polling a finished job (or many clients) costs one MongoDB read a second, not one per request.
 * A retry through this process forgets the job at once; one through another API process is seen
 * here within the time to live.
 */
export const ENDED_JOB_CACHE_TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

export function createEndedJobCache(ttlMs = ENDED_JOB_CACHE_TTL_MS) {
  const answers = new Map<string, { job: JobResponse; until: number }>();
  const keyOf = (tenant: string, jobId: string) => `${tenant}\u0000${jobId}`;
  return {
    get(tenant: string, jobId: string): JobResponse | undefined {
      const entry = answers.get(keyOf(tenant, jobId));
      if (entry && entry.until > Date.now()) return entry.job;
      return undefined;
    },
    remember(tenant: string, jobId: string, job: JobResponse): void {
      if (answers.size >= MAX_ENTRIES) answers.clear();
      answers.set(keyOf(tenant, jobId), { job, until: Date.now() + ttlMs });
    },
    forget(tenant: string, jobId: string): void {
      answers.delete(keyOf(tenant, jobId));
    },
  };
}
