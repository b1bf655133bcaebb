/**
 * `npm run bench`: speed figures on the real stack (Temporal dev server, FerretDB, bubblewrap,
 * Python), with a scripted model so the figures measure Toolsmith, not a model. Medians of
 * repeated runs, and every ratio between two figures measured in this one run.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { toImplementedTool, toolImplementationSchema } from '../llm/schemas';
import { createSandboxPool, type SandboxPool } from '../sandbox/pool';
import { callTool, runToolTests, type SandboxRunner } from '../sandbox/protocol';
import { createSandbox, type SandboxLimits } from '../sandbox/runner';
import { catalogueScript, molecularWeightImplementation, standardCatalogue } from '../test/helpers/canned-tools';
import { postJson } from '../test/helpers/http';
import { runJob } from '../test/helpers/jobs';
import { provisionedTools, startTestStack, type TestStack } from '../test/helpers/stack';

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

async function samples(runs: number, once: () => Promise<void>): Promise<number[]> {
  const measured: number[] = [];
  for (let run = 0; run < runs; run += 1) measured.push((await timed(once))[0]);
  return measured;
}

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

/** `calls` executes spread over `concurrency` clients, each waiting for its answer before the next. */
async function throughput(stack: TestStack, toolId: string, concurrency: number, calls: number): Promise<number> {
  let next = 0;
  const client = async () => {
    while (next < calls) {
      next += 1;
      await executeOverHttp(stack, toolId);
    }
  };
  const [ms] = await timed(() => Promise.all(Array.from({ length: concurrency }, client)));
  return (calls / ms) * 1000;
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
    const perSecond: Record<number, number> = {};
    for (const concurrency of CONCURRENCY_LEVELS) {
      perSecond[concurrency] = await throughput(stack, toolId, concurrency, THROUGHPUT_CALLS);
    }
    return { latencies, perSecond, poolSize: stack.config.executor.poolSize };
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

async function main(): Promise<void> {
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

  const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  const row = (name: string, measured: number[]) =>
    console.log(
      `| ${name} | ${ms(median(measured))} | ${ms(percentile(measured, 0.95))} | ${ms(Math.min(...measured))} | ${ms(Math.max(...measured))} |`,
    );
  const ratio = (slow: number[], fast: number[]) => `${(median(slow) / median(fast)).toFixed(1)}×`;
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
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
