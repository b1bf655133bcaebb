import type { JobResponse } from '../contract';
import { describeCounts } from './progress-view';

/** Exit codes of a followed job: scripts tell "all good", "some tools failed" and "the job did not finish" apart. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_PARTLY_FAILED = 2;

export function exitCodeFor(job: JobResponse): number {
  if (job.status !== 'completed') return EXIT_FAILED;
  return (job.failures?.length ?? 0) > 0 ? EXIT_PARTLY_FAILED : EXIT_OK;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A readable account of a job answer: what `status` prints and what `--wait` ends with. */
export function describeJob(job: JobResponse): string {
  const lines = [
    `Job ${job.jobId}: ${job.status}`,
    `  progress:    ${describeCounts(job.progress)}`,
    `  created:     ${job.createdAt}`,
    `  updated:     ${job.updatedAt}`,
  ];
  if (job.summary?.totalTokens !== undefined) lines.push(`  tokens used: ${job.summary.totalTokens}`);
  if (job.error) lines.push(`  error:       ${job.error.message} (${job.error.code})`);

  const toolFiles = job.toolFiles ?? [];
  if (toolFiles.length > 0) {
    lines.push(`Tools (${toolFiles.length}):`);
    const width = Math.max(...toolFiles.map((tool) => tool.fileName.length));
    for (const tool of toolFiles) {
      const registered = tool.registered ? '' : ' (not registered)';
      lines.push(`  ${tool.fileName.padEnd(width)}  at ${tool.filePath}${registered}`);
    }
  }

  const failures = job.failures ?? [];
  if (failures.length > 0) {
    lines.push(`Failures (${failures.length}):`);
    for (const failure of failures) {
      lines.push(`  ${oneLine(failure.toolRequirement.description)}`);
      lines.push(`    error: ${oneLine(failure.error)}${failure.code ? ` (${failure.code})` : ''}`);
    }
  }

  lines.push(`Temporal UI: ${job.temporal.uiUrl}`);
  return lines.join('\n');
}
