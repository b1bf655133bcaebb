/** The answer of the POST that just made a job, so its page shows it at once instead of loading. */
import type { JobResponse } from './lib/api-types';

const created = new Map<string, JobResponse>();

export function rememberJob(job: JobResponse): void {
  created.set(job.jobId, job);
}

/** Taken once: later visits load the job afresh. */
export function takeRememberedJob(jobId: string): JobResponse | undefined {
  const job = created.get(jobId);
  created.delete(jobId);
  return job;
}
