/**
 * GET of a job and of a tool at a fixed offered rate (autocannon), and the most a finished job's
 * GET sustains: a finished job is answered from its mirrored final state in MongoDB alone, a
 * running one from the workflow's live state (a Temporal query).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Result as AutocannonResult } from 'autocannon';
import type { ModelScript } from '../dev/scripted-model';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { postJson, request } from '../dev/http';
import { requirement, runJob } from '../dev/jobs';
import { startTestStack, type TestStack } from '../dev/stack';
import { waitFor } from '../dev/wait';
import { startWorkerProcess } from '../dev/worker-process';

export interface LatencyRow {
  what: string;
  offeredPerSecond: number | 'max';
  p50: number;
  p99: number;
  achievedPerSecond: number;
  errors: number;
}

export interface ApiLatencyOptions {
  fixedRate: number;
  durationSeconds: number;
  connections: number;
}

const execFileAsync = promisify(execFile);

/** A model call about this requirement takes longer than the measurement: its job stays running. */
const STILL_RUNNING = 'still running while the API is measured';
const LONG_CALL_MS = 600_000;

/**
 * autocannon in a process of its own: in the API's process its own work would sit on the event
 * loop it measures (the API runs apart from its load in a deployment, too).
 */
async function load(
  stack: TestStack,
  url: string,
  options: ApiLatencyOptions,
  overallRate?: number,
): Promise<Omit<LatencyRow, 'what'>> {
  const args = [
    require.resolve('autocannon/autocannon.js'),
    '--json',
    '--connections',
    String(options.connections),
    '--duration',
    String(options.durationSeconds),
    '--headers',
    `authorization=Bearer ${stack.apiKey}`,
    ...(overallRate ? ['--overallRate', String(overallRate)] : []),
    url,
  ];
  const { stdout } = await execFileAsync(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as AutocannonResult;
  return {
    offeredPerSecond: overallRate ?? 'max',
    p50: result.latency.p50,
    p99: result.latency.p99,
    achievedPerSecond: result.requests.average,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

export async function measureApiLatency(options: ApiLatencyOptions): Promise<LatencyRow[]> {
  const catalogue = catalogueScript(standardCatalogue);
  const script: ModelScript = (call) => {
    const reply = catalogue(call);
    return call.messages.some((message) => message.content.includes(STILL_RUNNING))
      ? { ...reply, delayMs: LONG_CALL_MS }
      : reply;
  };
  // The worker in a process of its own, as `npm start` runs it: its GC pauses (the docs index,
  // the workflow bundle) are not the API's.
  const stack = await startTestStack({ script, env: { RATE_LIMIT_PER_MINUTE: '100000000' }, inProcessWorker: false });
  const worker = startWorkerProcess(stack.serviceEnv);
  try {
    const finished = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    const toolId: string = finished.toolFiles[0].toolId;
    const running = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: [requirement(`Calculate the molecular weight of a compound from SMILES, ${STILL_RUNNING}.`)],
    });
    const runningUrl = `${stack.apiUrl}/jobs/${running.body.jobId}`;
    await waitFor(async () => (await request(runningUrl)).body.status === 'running', 30_000, 'the job to run');
    const targets = [
      { what: 'GET /jobs/{id}, finished job (MongoDB mirror)', url: `${stack.apiUrl}/jobs/${finished.jobId}` },
      { what: 'GET /jobs/{id}, running job (Temporal query)', url: runningUrl },
      { what: 'GET /tools/{id}', url: `${stack.apiUrl}/tools/${toolId}` },
    ];
    const rows: LatencyRow[] = [];
    for (const target of targets) {
      await load(stack, target.url, { ...options, durationSeconds: 1 }); // warm-up
      rows.push({ what: target.what, ...(await load(stack, target.url, options, options.fixedRate)) });
    }
    rows.push({ what: targets[0]!.what, ...(await load(stack, targets[0]!.url, options)) });
    rows.push({ what: targets[2]!.what, ...(await load(stack, targets[2]!.url, options)) });
    if ((await request(runningUrl)).body.status !== 'running') throw new Error('the running job ended too soon');
    await postJson(`${runningUrl}/cancel`, {});
    return rows;
  } finally {
    worker.process.kill('SIGTERM');
    await worker.exited;
    await stack.stop();
  }
}
