/**
 * `npm run chaos`: SIGKILLs the worker, the Temporal dev server and FerretDB CHAOS_KILLS times
 * each (default 20) and `npm start` as a whole CHAOS_POWER_CUTS times (default 1), with jobs in
 * flight, then checks that nothing was lost and prints the table. Exits 1 if anything was.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runChaos } from './chaos';
import { chaosPassed, formatChaosReport } from './report';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number ≥ 0, not "${process.env[name]}"`);
  return value;
};

async function main(): Promise<void> {
  const options = {
    killsPerComponent: setting('CHAOS_KILLS', 20),
    powerCuts: setting('CHAOS_POWER_CUTS', 1),
    jobsPerKill: setting('CHAOS_JOBS_PER_KILL', 2),
    toolsPerJob: setting('CHAOS_TOOLS_PER_JOB', 3),
    modelLatencyMs: setting('CHAOS_MODEL_LATENCY_MS', 300),
    maxPauseBeforeKillMs: setting('CHAOS_MAX_PAUSE_MS', 2_000),
    log: (line: string) => console.log(`[chaos] ${line}`),
  };
  console.log(
    `[chaos] ${options.killsPerComponent} SIGKILLs each of the worker, the Temporal dev server and FerretDB, ` +
      `${options.powerCuts} power cut(s) of npm start; ${options.jobsPerKill} jobs of ${options.toolsPerJob} tools ` +
      `submitted before each kill; model latency ${options.modelLatencyMs} ms`,
  );
  const report = await runChaos(options);
  console.log('');
  console.log(formatChaosReport(report));
  process.exit(chaosPassed(report) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
