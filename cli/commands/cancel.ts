import type { ToolsmithApi } from '../api-client';
import { describeCounts } from '../progress-view';

export async function cancelCommand(api: ToolsmithApi, jobId: string): Promise<number> {
  const job = await api.cancelJob(jobId);
  // Cancellation is a request to the workflow: tools mid-stage finish their step first.
  process.stdout.write(`Cancellation requested for job ${job.jobId}; status now: ${job.status}\n`);
  process.stdout.write(`  progress: ${describeCounts(job.progress)}\n`);
  process.stdout.write(`Temporal UI: ${job.temporal.uiUrl}\n`);
  return 0;
}
