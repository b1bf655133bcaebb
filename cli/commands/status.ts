import type { ToolsmithApi } from '../api-client';
import { describeJob } from '../job-report';

export async function statusCommand(api: ToolsmithApi, jobId: string, options: { json?: boolean }): Promise<number> {
  const job = await api.getJob(jobId);
  process.stdout.write(options.json ? `${JSON.stringify(job, null, 2)}\n` : `${describeJob(job)}\n`);
  // Asking succeeded whatever the job's state; scripts read the state from --json.
  return 0;
}
