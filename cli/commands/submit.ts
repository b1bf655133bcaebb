import type { ToolsmithApi } from '../api-client';
import { readRequestFile, withClientId } from '../request-file';
import { followAndReport } from './follow';

export interface SubmitOptions {
  wait?: boolean;
  clientId?: string;
}

export async function submitCommand(api: ToolsmithApi, filePath: string, options: SubmitOptions): Promise<number> {
  const request = withClientId(await readRequestFile(filePath), options.clientId);
  const job = await api.submitJob(request);
  const count = request.toolRequirements.length;
  process.stdout.write(`Submitted job ${job.jobId} (${count} tool${count === 1 ? '' : 's'})\n`);
  process.stdout.write(`Temporal UI: ${job.temporal.uiUrl}\n`);
  if (!options.wait) return 0;
  return followAndReport(api, job, {
    requirements: request.toolRequirements.map((requirement) => requirement.description),
  });
}
