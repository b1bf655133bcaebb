import type { ToolsmithApi } from '../api-client';
import { followAndReport } from './follow';

export async function retryCommand(api: ToolsmithApi, jobId: string, options: { wait?: boolean }): Promise<number> {
  const job = await api.retryJob(jobId);
  const run = job.temporal.runId ? ` as run ${job.temporal.runId}` : '';
  process.stdout.write(`Retrying job ${job.jobId}${run}; status now: ${job.status}\n`);
  process.stdout.write(`Temporal UI: ${job.temporal.uiUrl}\n`);
  if (!options.wait) return 0;
  return followAndReport(api, job);
}
