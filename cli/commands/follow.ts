import type { JobResponse } from '../../contract';
import type { ToolsmithApi } from '../api-client';
import { followJob } from '../job-follower';
import { describeJob, exitCodeFor } from '../job-report';
import { createProgressView } from '../progress-view';

export interface FollowSettings {
  /** requirement descriptions, to label the bars before the tools are named */
  requirements?: string[];
}

/**
 * Shows the job's progress until it ends, then its summary; returns the exit code. Ctrl-C stops
 * only the watching: the job is durable and goes on, which the message says.
 */
export async function followAndReport(
  api: ToolsmithApi,
  job: JobResponse,
  settings: FollowSettings = {},
): Promise<number> {
  const view = createProgressView({
    requirements: settings.requirements,
    total: job.progress.total,
    stream: process.stdout,
  });
  const stopWatching = () => {
    view.stop();
    process.stderr.write(
      `\nStopped watching; job ${job.jobId} goes on. Check it with: toolsmith status ${job.jobId}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', stopWatching);
  try {
    const finished = await followJob(api, job.jobId, view);
    view.stop();
    process.stdout.write(`\n${describeJob(finished)}\n`);
    return exitCodeFor(finished);
  } finally {
    view.stop();
    process.off('SIGINT', stopWatching);
  }
}
