/**
 * What must hold after any number of crashes: every job completed; every requirement has exactly
 * one registered tool, whose file on disk is its code; every session mirrors its run's final
 * state; no workflow still runs and no activity is still retrying. Read from the sources
 * themselves (Temporal, MongoDB, the tools directory), not from the API.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { toolFileLocation } from '../activities/register';
import type { ToolRequirement } from '../contract';
import type { SessionDocument, ToolDocument } from '../store/documents';
import type { JobResult } from '../workflows/definitions';

export interface SubmittedJob {
  jobId: string;
  requirements: ToolRequirement[];
}

export interface ChaosOutcome {
  jobs: number;
  completedJobs: number;
  /** "<jobId>: <status or failure>" */
  unfinishedJobs: string[];
  requirements: number;
  registeredOnce: number;
  /** "<jobId>#<requirement index>: n registered" */
  duplicates: string[];
  /** requirements with no registered tool, or a result naming a tool that is not registered */
  lost: string[];
  mirrorMismatches: string[];
  fileMismatches: string[];
  /** activities still pending (retrying) on any job's run */
  stillRetrying: string[];
  runningWorkflows: number;
  /** activity attempts after the first, across all jobs: the crashes Temporal absorbed */
  retriedAttempts: number;
}

export interface CheckSources {
  jobs: SubmittedJob[];
  db: Db;
  temporal: Client;
  toolsDir: string;
}

/** the lists of problems, which a job's findings add to the outcome's */
const PROBLEM_LISTS = [
  'unfinishedJobs',
  'duplicates',
  'lost',
  'mirrorMismatches',
  'fileMismatches',
  'stillRetrying',
] as const satisfies readonly (keyof ChaosOutcome)[];

type JobFindings = Pick<ChaosOutcome, (typeof PROBLEM_LISTS)[number] | 'registeredOnce' | 'retriedAttempts'> & {
  completed: boolean;
};

async function retriedAttempts(sources: CheckSources, jobId: string): Promise<number> {
  const history = await sources.temporal.workflow.getHandle(jobId).fetchHistory();
  return (history.events ?? []).filter((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
}

function registeredTools(
  job: SubmittedJob,
  registered: ToolDocument[],
): Pick<JobFindings, 'registeredOnce' | 'duplicates' | 'lost'> {
  const findings = { registeredOnce: 0, duplicates: [] as string[], lost: [] as string[] };
  job.requirements.forEach((_, index) => {
    const count = registered.filter((tool) => tool.requirement_index === index).length;
    if (count === 1) findings.registeredOnce += 1;
    else if (count === 0) findings.lost.push(`${job.jobId}#${index}: no registered tool`);
    else findings.duplicates.push(`${job.jobId}#${index}: ${count} registered`);
  });
  return findings;
}

function mirrorMismatches(jobId: string, session: SessionDocument | null, runId: string, result: JobResult): string[] {
  if (!session) return [`${jobId}: no session`];
  const problems: string[] = [];
  if (session.job_status !== 'completed') problems.push(`job_status ${session.job_status}`);
  if (session.run_id !== runId) problems.push(`run_id ${session.run_id} instead of ${runId}`);
  // tool_ids also link the failed tools' records; the result names the registered ones
  const mirroredIds = session.tool_progress
    .filter((tool) => tool.stage === 'completed' && tool.tool_id)
    .map((tool) => tool.tool_id!)
    .sort();
  const resultIds = result.tools.map((tool) => tool.toolId).sort();
  if (!isDeepStrictEqual(mirroredIds, resultIds)) problems.push(`tool_ids ${mirroredIds} instead of ${resultIds}`);
  // the mirror may add the job's model usage to what the run returned
  const mirroredSummary = session.summary as Record<string, unknown> | null | undefined;
  const differs = Object.entries(result.summary).some(
    ([field, value]) => !isDeepStrictEqual(mirroredSummary?.[field], value),
  );
  if (differs) problems.push('summary differs from the result');
  return problems.map((problem) => `${jobId}: ${problem}`);
}

async function fileMismatches(toolsDir: string, registered: ToolDocument[]): Promise<string[]> {
  const problems: string[] = [];
  for (const tool of registered) {
    const file = path.join(toolsDir, toolFileLocation(tool));
    const onDisk = await readFile(file, 'utf8').catch(() => null);
    if (onDisk === null) problems.push(`${file}: missing`);
    else if (onDisk !== tool.code) problems.push(`${file}: differs from the registered code`);
  }
  return problems;
}

async function checkJob(sources: CheckSources, job: SubmittedJob): Promise<JobFindings> {
  const handle = sources.temporal.workflow.getHandle(job.jobId);
  const description = await handle.describe();
  const stillRetrying = (description.raw.pendingActivities ?? []).map(
    (activity) =>
      `${job.jobId}: ${activity.activityType?.name} attempt ${activity.attempt}: ${activity.lastFailure?.message ?? ''}`,
  );
  const registered = await sources.db
    .collection<ToolDocument>('tools')
    .find({ job_id: job.jobId, status: 'registered' })
    .toArray();
  const tools = registeredTools(job, registered);
  const findings = {
    ...tools,
    stillRetrying,
    fileMismatches: await fileMismatches(sources.toolsDir, registered),
    retriedAttempts: await retriedAttempts(sources, job.jobId),
  };
  if (description.status.name !== 'COMPLETED') {
    return {
      ...findings,
      completed: false,
      unfinishedJobs: [`${job.jobId}: ${description.status.name}`],
      mirrorMismatches: [],
    };
  }
  const result = (await handle.result()) as JobResult;
  const registeredIds = new Set(registered.map((tool) => tool._id.toHexString()));
  const unregistered = result.tools.filter((tool) => !registeredIds.has(tool.toolId));
  const session = await sources.db.collection<SessionDocument>('sessions').findOne({ job_id: job.jobId });
  return {
    ...findings,
    completed: true,
    unfinishedJobs: result.failures.map((failure) => `${job.jobId}#${failure.requirementIndex}: ${failure.error}`),
    lost: [...findings.lost, ...unregistered.map((tool) => `${job.jobId}: result names unregistered ${tool.toolId}`)],
    mirrorMismatches: mirrorMismatches(job.jobId, session, description.runId, result),
  };
}

export async function checkOutcome(sources: CheckSources): Promise<ChaosOutcome> {
  const outcome: ChaosOutcome = {
    jobs: sources.jobs.length,
    completedJobs: 0,
    requirements: 0,
    registeredOnce: 0,
    runningWorkflows: 0,
    retriedAttempts: 0,
    unfinishedJobs: [],
    duplicates: [],
    lost: [],
    mirrorMismatches: [],
    fileMismatches: [],
    stillRetrying: [],
  };
  for (const job of sources.jobs) {
    const findings = await checkJob(sources, job);
    outcome.requirements += job.requirements.length;
    if (findings.completed) outcome.completedJobs += 1;
    outcome.registeredOnce += findings.registeredOnce;
    outcome.retriedAttempts += findings.retriedAttempts;
    for (const list of PROBLEM_LISTS) outcome[list].push(...findings[list]);
  }
  outcome.runningWorkflows = (await sources.temporal.workflow.count('ExecutionStatus="Running"')).count;
  return outcome;
}
