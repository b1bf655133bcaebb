/**
 * A burst: `jobs` 1-tool jobs submitted as fast as the API accepts them (a refusal is retried
 * after its Retry-After), with a 0-latency model, on the dev server's SQLite file as `npm start`
 * runs it. Every job must complete with its tool registered; nothing may be lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { postJson } from '../dev/http';
import { requirement } from '../dev/jobs';
import { startTestStack, type TestStack } from '../dev/stack';

export interface BurstResult {
  jobs: number;
  submitSeconds: number;
  totalSeconds: number;
  completed: number;
  toolsRegistered: number;
  lost: number;
  refusedThenRetried: number;
}

const SUBMITTERS = 32;
/**
 * The client's running-job limit during the burst: the service paces a burst by refusing (429,
 * Retry-After) beyond it. Set to what the machine runs well at once (the engine section's
 * concurrency); with 1,000 admitted at once, FerretDB fell behind so far that a POST waited
 * five minutes for its first write.
 */
const RUNNING_JOBS = Number(process.env.BENCH_BURST_RUNNING_JOBS ?? 16);

async function submitUntilAccepted(stack: TestStack, sequence: number, refusals: { count: number }): Promise<string> {
  for (;;) {
    const created = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: [requirement(`Calculate the molecular weight of a compound from SMILES (burst ${sequence}).`)],
      options: { reuse: false },
    });
    if (created.status === 201) return created.body.jobId as string;
    if (created.status !== 429 && created.status !== 503)
      throw new Error(`POST /jobs answered ${created.status}: ${JSON.stringify(created.body)}`);
    refusals.count += 1;
    await sleep(Number(created.headers.get('retry-after') ?? 1) * 1000);
  }
}

export async function measureBurst(jobs: number): Promise<BurstResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-burst-'));
  const stack = await startTestStack({
    script: catalogueScript(standardCatalogue),
    env: { LLM_MAX_CALLS_PER_SECOND: '10000', MAX_RUNNING_JOBS_PER_CLIENT: String(RUNNING_JOBS) },
    temporalDbFile: path.join(dataDir, 'temporal.db'),
  });
  try {
    const refusals = { count: 0 };
    const started = performance.now();
    const jobIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (next < jobs) {
          next += 1;
          jobIds.push(await submitUntilAccepted(stack, next, refusals));
        }
      }),
    );
    const submitSeconds = (performance.now() - started) / 1000;
    const results = await Promise.all(
      jobIds.map(
        (jobId) => stack.env.client.workflow.getHandle(jobId).result() as Promise<{ summary: { successful: number } }>,
      ),
    );
    const totalSeconds = (performance.now() - started) / 1000;
    const completed = results.filter((result) => result.summary.successful === 1).length;
    const toolsRegistered = await stack.mongo.db
      .collection('tools')
      .countDocuments({ job_id: { $in: jobIds }, status: 'registered' });
    return {
      jobs,
      submitSeconds,
      totalSeconds,
      completed,
      toolsRegistered,
      lost: jobs - Math.min(completed, toolsRegistered),
      refusedThenRetried: refusals.count,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
