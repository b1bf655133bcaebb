/**
 * `npm run bench`: speed figures on the real stack (Temporal dev server, FerretDB, bubblewrap,
 * Python), with a scripted model so the figures measure Toolsmith, not a model. Medians of
 * repeated runs, and every ratio between two figures measured in this one run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { toImplementedTool, toolImplementationSchema } from '../llm/schemas';
import { createSandboxPool, type SandboxPool } from '../sandbox/pool';
import { callTool, runToolTests, type SandboxRunner } from '../sandbox/protocol';
import type { SandboxLimits } from '../sandbox/limits';
import { createSandbox } from '../sandbox/runner';
import { catalogueScript, molecularWeightImplementation, standardCatalogue } from '../dev/canned-tools';
import { postJson } from '../dev/http';
import { runJob } from '../dev/jobs';
import { provisionedTools, startTestStack, type TestStack } from '../dev/stack';
import { measureApiLatency } from './api-latency';
import { describeCpu } from './cpu';
import { measureBurst } from './burst';
import { measureJobVersusEngine } from './job-vs-engine';
import { measureEngineLimit } from './engine-limit';
import { BEFORE_ISSUE_18, COST_TABLE_HEADING, costRatio, costRow, ENDPOINTS, measureSuiteCost } from './model-cost';
import { median, ms, percentile, perSecond, samples, timed } from './stats';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const VALIDATION_RUNS = Number(process.env.BENCH_VALIDATION_RUNS ?? 20);
const COLD_CALL_RUNS = Number(process.env.BENCH_COLD_CALL_RUNS ?? 20);
const WARM_CALL_RUNS = Number(process.env.BENCH_WARM_CALL_RUNS ?? 200);
const THROUGHPUT_CALLS = Number(process.env.BENCH_THROUGHPUT_CALLS ?? 300);
const JOB_RUNS = Number(process.env.BENCH_JOB_RUNS ?? 3);
const REALISTIC_MODEL_LATENCY_MS = Number(process.env.BENCH_MODEL_LATENCY_MS ?? 1_000);
const CONCURRENCY_LEVELS = [1, 4, 16];
const UNPACED_LLM_CALLS_PER_SECOND = 10_000;
/** the validation sandbox's limits, as the worker sets them */
const LIMITS: SandboxLimits = {
  wallTimeMs: 30_000,
  memoryMb: 2048,
  outputBytes: 1_000_000,
  cpuSeconds: 60,
  processes: 64,
};
const FUNCTION_NAME = 'calculate_molecular_weight';
const ETHANOL = { smiles: 'CCO' };

const molecularWeightTool = toImplementedTool(toolImplementationSchema.parse(molecularWeightImplementation));

async function validateOnce(sandbox: SandboxRunner): Promise<void> {
  const outcome = await runToolTests(sandbox, molecularWeightTool.code, FUNCTION_NAME, molecularWeightTool.testCases);
  if (!outcome.ok || outcome.reply.results.some((result) => result.outcome !== 'pass'))
    throw new Error('the benchmark tool failed validation');
}

async function callOnce(sandbox: SandboxRunner): Promise<void> {
  const outcome = await callTool(sandbox, molecularWeightTool.code, FUNCTION_NAME, ETHANOL);
  if (!outcome.ok || !outcome.reply.ok) throw new Error('the benchmark tool call failed');
}

/** The same tool validated, and called, by a cold sandbox per run and by the warm pool. */
async function sandboxLatencies() {
  const tools = await provisionedTools();
  const settings = { runtimeDir: tools.toolRuntime.venvDir, bwrapPath: tools.bwrapPath, limits: LIMITS };
  const cold = createSandbox(settings);
  const pool: SandboxPool = createSandboxPool({ ...settings, size: 1, minWarm: 1 });
  try {
    await pool.warm();
    await validateOnce(pool);
    return {
      coldValidate: await samples(VALIDATION_RUNS, () => validateOnce(cold)),
      warmValidate: await samples(VALIDATION_RUNS, () => validateOnce(pool)),
      coldCall: await samples(COLD_CALL_RUNS, () => callOnce(cold)),
      warmCall: await samples(WARM_CALL_RUNS, () => callOnce(pool)),
    };
  } finally {
    await pool.close();
  }
}

async function executeOverHttp(stack: TestStack, toolId: string): Promise<void> {
  const answer = await postJson(`${stack.apiUrl}/tools/${toolId}/execute`, { input: ETHANOL });
  if (answer.status !== 200 || answer.body.success !== true)
    throw new Error(`execute failed: ${answer.status} ${JSON.stringify(answer.body)}`);
}

const BENCH_REQUESTS_PER_MINUTE = 1_000_000;

/** Calls over HTTP: the API's warm pool behind the execute route, against a registered tool. */
async function httpExecution() {
  const stack = await startTestStack({
    script: catalogueScript(standardCatalogue),
    // thousands of calls a minute from one client: the per-minute limit (still counted) must not refuse them
    env: { RATE_LIMIT_PER_MINUTE: String(BENCH_REQUESTS_PER_MINUTE) },
  });
  try {
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    const toolId: string = job.toolFiles[0].toolId;
    await executeOverHttp(stack, toolId); // warm-up: the tool's schemas compiled, the connection open
    const latencies = await samples(WARM_CALL_RUNS, () => executeOverHttp(stack, toolId));
    const executesPerSecond: Record<number, number> = {};
    for (const concurrency of CONCURRENCY_LEVELS) {
      executesPerSecond[concurrency] = await perSecond(THROUGHPUT_CALLS, concurrency, () =>
        executeOverHttp(stack, toolId),
      );
    }
    return { latencies, perSecond: executesPerSecond, poolSize: stack.config.executor.poolSize };
  } finally {
    await stack.stop();
  }
}

/**
 * A model answering after `modelLatencyMs` per call: 0 measures Toolsmith alone, a second resembles
 * a real model. `validation: 'cold'` validates as the previous version did, in a new sandbox per run.
 */
async function jobWallTimes(
  modelLatencyMs: number,
  validation: 'warm' | 'cold' = 'warm',
): Promise<{ one: number[]; ten: number[] }> {
  const stack = await startTestStack({
    script: catalogueScript(standardCatalogue, { delayMs: modelLatencyMs }),
    // the provider's limit is not what is measured here: LLM_MAX_CALLS_PER_SECOND would pace a 0-latency model
    env: { SANDBOX_VALIDATION: validation, LLM_MAX_CALLS_PER_SECOND: String(UNPACED_LLM_CALLS_PER_SECOND) },
  });
  try {
    const requirements = (count: number) =>
      Array.from(
        { length: count },
        (_, index) => `Calculate the molecular weight of a compound from SMILES (variant ${index + 1}).`,
      );
    await runJob(stack, requirements(1)); // warm-up: workflow bundle, first sandbox start
    const one: number[] = [];
    const ten: number[] = [];
    for (let run = 0; run < JOB_RUNS; run += 1) {
      for (const [count, measured] of [
        [1, one],
        [10, ten],
      ] as const) {
        const [ms, job] = await timed(() => runJob(stack, requirements(count)));
        if (job.status !== 'completed' || job.toolFiles.length !== count)
          throw new Error(`a ${count}-tool job did not complete: ${JSON.stringify(job)}`);
        measured.push(ms);
      }
    }
    return { one, ten };
  } finally {
    await stack.stop();
  }
}

const SECTIONS = (process.env.BENCH_SECTIONS ?? 'sandbox,engine,api,burst,models').split(',');
const ENGINE_RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 10);
const ENGINE_THROUGHPUT_JOBS = Number(process.env.BENCH_ENGINE_THROUGHPUT_JOBS ?? 100);
const ENGINE_CONCURRENCY = Number(process.env.BENCH_ENGINE_CONCURRENCY ?? 16);
const API_FIXED_RATE = Number(process.env.BENCH_API_RATE ?? 200);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const BURST_JOBS = Number(process.env.BENCH_BURST_JOBS ?? 1000);

const ratio = (slow: number[], fast: number[]) => `${(median(slow) / median(fast)).toFixed(1)}×`;

async function jobVersusEngineSection(): Promise<void> {
  console.log(
    `Engine limit: 1-tool jobs (${ENGINE_RUNS} one after another, then ${ENGINE_THROUGHPUT_JOBS} at concurrency ${ENGINE_CONCURRENCY}) and no-op workflows of as many activities, same dev server (SQLite file)…`,
  );
  const options = { runs: ENGINE_RUNS, throughputJobs: ENGINE_THROUGHPUT_JOBS, concurrency: ENGINE_CONCURRENCY };
  const tuned = await measureJobVersusEngine(options);
  console.log('The same no-op workflows on the dev server as the previous version ran it (no tuning)…');
  const untuned = await measureUntunedEngine(tuned.activitiesPerJob, options);
  console.log('');
  console.log(
    `| on one dev server (SQLite file), ${tuned.activitiesPerJob} activities (+ ${tuned.localActivitiesPerJob} local) per 1-tool job | median | per second (concurrency ${ENGINE_CONCURRENCY}) |`,
  );
  console.log('| --- | --- | --- |');
  console.log(
    `| empty workflow, ${tuned.activitiesPerJob} no-op activities (the limit) | ${ms(median(tuned.emptyLatencies))} | ${tuned.emptyPerSecond.toFixed(1)} |`,
  );
  console.log(
    `| the same, dev server untuned (previous version) | ${ms(median(untuned.latencies))} | ${untuned.perSecond.toFixed(1)} |`,
  );
  console.log(
    `| 1-tool job, 0-latency model, POST to result | ${ms(median(tuned.jobLatencies))} | ${tuned.jobsPerSecond.toFixed(1)} |`,
  );
  console.log(`| 1-tool job minus its sandbox time | ${ms(median(tuned.jobLatenciesWithoutSandbox))} | |`);
  console.log('');
  console.log(
    `1-tool job minus sandbox / empty workflow: ${ratio(tuned.jobLatenciesWithoutSandbox, tuned.emptyLatencies)} (goal ≤ 1.5×); job throughput / empty-workflow throughput: ${((tuned.jobsPerSecond / tuned.emptyPerSecond) * 100).toFixed(0)} % (goal ≥ 80 %)`,
  );
  console.log(
    `dev server tuning: empty workflow ${ratio(untuned.latencies, tuned.emptyLatencies)} faster, throughput ${(tuned.emptyPerSecond / untuned.perSecond).toFixed(1)}×`,
  );
  console.log(
    `CPU per job at that throughput, ms: ${describeCpu(tuned.jobCpu)}; per empty workflow: ${describeCpu(tuned.emptyCpu)}`,
  );
}

async function measureUntunedEngine(
  activityCount: number,
  options: { runs: number; throughputJobs: number; concurrency: number },
) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-bench-untuned-'));
  const stack = await startTestStack({
    script: catalogueScript(standardCatalogue),
    untunedTemporal: true,
    temporalDbFile: path.join(dataDir, 'temporal.db'),
  });
  try {
    return await measureEngineLimit({
      address: stack.env.address,
      namespace: stack.config.temporal.namespace,
      activityCount,
      latencyRuns: options.runs,
      throughputRuns: options.throughputJobs,
      concurrency: options.concurrency,
    });
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function apiLatencySection(): Promise<void> {
  console.log(
    `API latency: GET job and tool at ${API_FIXED_RATE} requests/s offered for ${API_SECONDS} s, then as many as it takes (autocannon)…`,
  );
  const rows = await measureApiLatency({ fixedRate: API_FIXED_RATE, durationSeconds: API_SECONDS, connections: 10 });
  console.log('');
  console.log('| request | offered /s | p50 | p99 | achieved /s | errors |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.what} | ${row.offeredPerSecond} | ${ms(row.p50)} | ${ms(row.p99)} | ${row.achievedPerSecond.toFixed(0)} | ${row.errors} |`,
    );
  }
}

async function burstSection(): Promise<void> {
  console.log(`Burst: ${BURST_JOBS} 1-tool jobs submitted as fast as the API accepts them, 0-latency model…`);
  const burst = await measureBurst(BURST_JOBS);
  console.log('');
  console.log(
    '| jobs | submitted in | all ended in | jobs/s | completed | tools registered | lost | refused, then retried |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| ${burst.jobs} | ${burst.submitSeconds.toFixed(1)} s | ${burst.totalSeconds.toFixed(1)} s | ${(burst.jobs / burst.totalSeconds).toFixed(1)} | ${burst.completed} | ${burst.toolsRegistered} | ${burst.lost} | ${burst.refusedThenRetried} |`,
  );
}

async function modelCostSection(): Promise<void> {
  const now = [];
  for (const endpoint of ENDPOINTS) {
    console.log(`Model cost: the starter suite (eval/) through the eval harness, scripted model, ${endpoint.label}…`);
    now.push(await measureSuiteCost(endpoint.label, endpoint.options));
  }
  console.log('');
  for (const line of COST_TABLE_HEADING) console.log(line);
  console.log(costRow(BEFORE_ISSUE_18));
  for (const cost of now) console.log(costRow(cost));
  console.log('');
  console.log(costRatio(now[0]!, BEFORE_ISSUE_18));
}

async function main(): Promise<void> {
  if (SECTIONS.includes('sandbox')) await sandboxAndJobSections();
  if (SECTIONS.includes('engine')) await jobVersusEngineSection();
  if (SECTIONS.includes('api')) await apiLatencySection();
  if (SECTIONS.includes('burst')) await burstSection();
  if (SECTIONS.includes('models')) await modelCostSection();
  process.exit(0);
}

async function sandboxAndJobSections(): Promise<void> {
  console.log(
    `Sandbox: validate (${VALIDATION_RUNS}×) and call (${COLD_CALL_RUNS}× cold, ${WARM_CALL_RUNS}× warm) the molecular-weight tool…`,
  );
  const sandbox = await sandboxLatencies();
  console.log(
    `Execute over HTTP: ${WARM_CALL_RUNS} calls, then ${THROUGHPUT_CALLS} at concurrency ${CONCURRENCY_LEVELS.join(', ')}…`,
  );
  const http = await httpExecution();
  console.log(`Job wall time, POST to completed, 0-latency scripted model (${JOB_RUNS} runs each)…`);
  const instant = await jobWallTimes(0);
  console.log(
    `The same with cold validation (a new sandbox per run, as the previous version) (${JOB_RUNS} runs each)…`,
  );
  const instantCold = await jobWallTimes(0, 'cold');
  console.log(`Job wall time, scripted model answering in ${REALISTIC_MODEL_LATENCY_MS} ms (${JOB_RUNS} runs each)…`);
  const realistic = await jobWallTimes(REALISTIC_MODEL_LATENCY_MS);

  const row = (name: string, measured: number[]) =>
    console.log(
      `| ${name} | ${ms(median(measured))} | ${ms(percentile(measured, 0.95))} | ${ms(Math.min(...measured))} | ${ms(Math.max(...measured))} |`,
    );
  console.log('');
  console.log('| benchmark | median | p95 | min | max |');
  console.log('| --- | --- | --- | --- | --- |');
  row('validate (2 tests), cold sandbox per run', sandbox.coldValidate);
  row('validate (2 tests), warm pool', sandbox.warmValidate);
  row('call on CCO, cold sandbox per run', sandbox.coldCall);
  row('call on CCO, warm pool (in process)', sandbox.warmCall);
  row('execute on CCO over HTTP (warm pool)', http.latencies);
  row('job with 1 tool, 0-latency model', instant.one);
  row('job with 10 tools, 0-latency model', instant.ten);
  row('job with 1 tool, 0-latency model, cold validation', instantCold.one);
  row('job with 10 tools, 0-latency model, cold validation', instantCold.ten);
  row(`job with 1 tool, ${REALISTIC_MODEL_LATENCY_MS} ms model`, realistic.one);
  row(`job with 10 tools, ${REALISTIC_MODEL_LATENCY_MS} ms model`, realistic.ten);
  console.log('');
  console.log(
    `| executes per second over HTTP (pool of ${http.poolSize}) | ${CONCURRENCY_LEVELS.map((level) => `concurrency ${level}`).join(' | ')} |`,
  );
  console.log(`| --- | ${CONCURRENCY_LEVELS.map(() => '---').join(' | ')} |`);
  console.log(
    `| molecular weight of CCO | ${CONCURRENCY_LEVELS.map((level) => http.perSecond[level]!.toFixed(0)).join(' | ')} |`,
  );
  console.log('');
  console.log(
    `warm execute over HTTP vs a cold sandbox start: ${ratio(sandbox.coldCall, http.latencies)} faster (median)`,
  );
  console.log(
    `warm pool vs cold sandbox, in process: call ${ratio(sandbox.coldCall, sandbox.warmCall)}, validate ${ratio(sandbox.coldValidate, sandbox.warmValidate)}`,
  );
  console.log(
    `warm vs cold validation, 0-latency model: 1-tool job ${ratio(instantCold.one, instant.one)}, 10-tool job ${ratio(instantCold.ten, instant.ten)} faster`,
  );
  console.log(
    `10 tools / 1 tool wall-time ratio: ${ratio(instant.ten, instant.one)} with a 0-latency model, ${ratio(realistic.ten, realistic.one)} with a ${REALISTIC_MODEL_LATENCY_MS} ms model (one tool after another would be ~10×)`,
  );
  console.log('');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
