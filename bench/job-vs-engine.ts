/**
 * A 1-tool job against the engine's own limit on the same Temporal server (SQLite file, as
 * `npm start` runs it): an empty workflow of as many no-op activities as the job runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { postJson } from '../dev/http';
import { requirement } from '../dev/jobs';
import { startTestStack, type TestStack } from '../dev/stack';
import { measureEngineLimit } from './engine-limit';
import { cpuPerUnit, type CpuPerUnit } from './cpu';
import { perSecond } from './stats';

export interface JobVersusEngine {
  /** activities through the task queues: what the empty workflow runs as many of */
  activitiesPerJob: number;
  /** the job's local activities (its mirror writes), run in the workflow's worker without a queue */
  localActivitiesPerJob: number;
  jobLatencies: number[];
  /** the job's wall time minus the time its validation spent in the sandbox */
  jobLatenciesWithoutSandbox: number[];
  jobsPerSecond: number;
  /** CPU milliseconds per job during the throughput run, by program */
  jobCpu: CpuPerUnit;
  emptyLatencies: number[];
  emptyPerSecond: number;
  emptyCpu: CpuPerUnit;
}

export interface JobVersusEngineOptions {
  runs: number;
  throughputJobs: number;
  concurrency: number;
  /** the dev server as the previous version ran it */
  untunedTemporal?: boolean;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
/** how the SDK records a local activity in the history */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

function sandboxMs(events: HistoryEvent[]): number {
  const scheduled = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'validateTool',
  );
  const started = events.find(
    (event) =>
      event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
  );
  const completed = events.find(
    (event) =>
      event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
  );
  if (!started || !completed) throw new Error('the job has no completed validation');
  return tsToMs(completed.eventTime) - tsToMs(started.eventTime);
}

async function runOneToolJob(stack: TestStack, sequence: number): Promise<{ ms: number; events: HistoryEvent[] }> {
  const started = performance.now();
  const created = await postJson(`${stack.apiUrl}/jobs`, {
    toolRequirements: [requirement(`Calculate the molecular weight of a compound from SMILES (bench ${sequence}).`)],
    options: { reuse: false },
  });
  if (created.status !== 201) throw new Error(`POST /jobs answered ${created.status}: ${JSON.stringify(created.body)}`);
  const handle = stack.env.client.workflow.getHandle(created.body.jobId);
  const result = (await handle.result()) as { summary: { successful: number } };
  const ms = performance.now() - started;
  if (result.summary.successful !== 1) throw new Error(`a bench job failed: ${JSON.stringify(result)}`);
  return { ms, events: (await handle.fetchHistory()).events ?? [] };
}

export async function measureJobVersusEngine(options: JobVersusEngineOptions): Promise<JobVersusEngine> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-bench-'));
  const stack = await startTestStack({
    script: catalogueScript(standardCatalogue),
    env: { LLM_MAX_CALLS_PER_SECOND: '10000', MAX_RUNNING_JOBS_PER_CLIENT: '100000' },
    temporalDbFile: path.join(dataDir, 'temporal.db'),
    untunedTemporal: options.untunedTemporal,
  });
  let sequence = 0;
  try {
    const warmUp = await runOneToolJob(stack, (sequence += 1));
    const activitiesPerJob = warmUp.events.filter((event) => event.activityTaskScheduledEventAttributes).length;
    const localActivitiesPerJob = warmUp.events.filter(
      (event) => event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER,
    ).length;
    const jobLatencies: number[] = [];
    const jobLatenciesWithoutSandbox: number[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      const job = await runOneToolJob(stack, (sequence += 1));
      jobLatencies.push(job.ms);
      jobLatenciesWithoutSandbox.push(job.ms - sandboxMs(job.events));
    }
    const [jobCpu, jobsPerSecond] = await cpuPerUnit(options.throughputJobs, () =>
      perSecond(options.throughputJobs, options.concurrency, async () => {
        await runOneToolJob(stack, (sequence += 1));
      }),
    );
    const engine = await measureEngineLimit({
      address: stack.env.address,
      namespace: stack.config.temporal.namespace,
      activityCount: activitiesPerJob,
      latencyRuns: options.runs,
      throughputRuns: options.throughputJobs,
      concurrency: options.concurrency,
    });
    return {
      activitiesPerJob,
      localActivitiesPerJob,
      jobLatencies,
      jobLatenciesWithoutSandbox,
      jobsPerSecond,
      jobCpu,
      emptyLatencies: engine.latencies,
      emptyPerSecond: engine.perSecond,
      emptyCpu: engine.cpuPerWorkflow,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
