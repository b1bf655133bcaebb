import type { ChaosReport, Kill } from './chaos';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report as Markdown tables, as the README's Proofs section shows it; problems listed below. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [
    '| killed (SIGKILL) | kills | time to recover, median | max |',
    '| --- | --- | --- | --- |',
    ...Object.entries(report.recoveries)
      .filter(([, times]) => times.length > 0)
      .map(
        ([kill, times]) =>
          `| ${kill as Kill} | ${times.length} | ${seconds(median(times))} | ${seconds(Math.max(...times))} |`,
      ),
    '',
    '| jobs | completed | requirements | registered once | duplicates | lost | mirror mismatches | files wrong | activities still retrying | workflows still running | activity attempts retried |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${report.jobs} | ${report.completedJobs} | ${report.requirements} | ${report.registeredOnce} | ${report.duplicates.length} | ${report.lost.length} | ${report.mirrorMismatches.length} | ${report.fileMismatches.length} | ${report.stillRetrying.length} | ${report.runningWorkflows} | ${report.retriedAttempts} |`,
    '',
    `wall time ${seconds(report.wallMs)}`,
  ];
  const problems = [
    ...report.unfinishedJobs,
    ...report.duplicates,
    ...report.lost,
    ...report.mirrorMismatches,
    ...report.fileMismatches,
    ...report.stillRetrying,
  ];
  if (problems.length > 0) lines.push('', 'Problems:', ...problems.map((problem) => `- ${problem}`));
  return lines.join('\n');
}

/** Nothing lost, duplicated, mismatched or left running: what the chaos run must end with. */
export function chaosPassed(report: ChaosReport): boolean {
  return (
    report.completedJobs === report.jobs &&
    report.unfinishedJobs.length === 0 &&
    report.registeredOnce === report.requirements &&
    report.duplicates.length === 0 &&
    report.lost.length === 0 &&
    report.mirrorMismatches.length === 0 &&
    report.fileMismatches.length === 0 &&
    report.stillRetrying.length === 0 &&
    report.runningWorkflows === 0
  );
}
