/**
 * `npm run bench`: speed figures on the real stack (Temporal dev server, FerretDB, bubblewrap,
 * Python), with a 0-latency scripted model so the figures measure Toolsmith, not a model.
 * Medians of repeated runs, all measured in this one run.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runToolTests } from '../sandbox/protocol';
import { createSandbox } from '../sandbox/runner';
import { toImplementedTool, toolImplementationSchema } from '../llm/schemas';
import { catalogueScript, molecularWeightImplementation, standardCatalogue } from '../test/helpers/canned-tools';
import { runJob } from '../test/helpers/jobs';
import { provisionedTools, startTestStack } from '../test/helpers/stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const VALIDATION_RUNS = Number(process.env.BENCH_VALIDATION_RUNS ?? 20);
const JOB_RUNS = Number(process.env.BENCH_JOB_RUNS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

async function validationLatency(): Promise<number[]> {
  const tools = await provisionedTools();
  const sandbox = createSandbox({
    runtimeDir: tools.toolRuntime.venvDir,
    bwrapPath: tools.bwrapPath,
    limits: { wallTimeMs: 30_000, memoryMb: 2048, outputBytes: 1_000_000, cpuSeconds: 60, processes: 64 },
  });
  const tool = toImplementedTool(toolImplementationSchema.parse(molecularWeightImplementation));
  const samples: number[] = [];
  for (let run = 0; run < VALIDATION_RUNS; run += 1) {
    const [ms, outcome] = await timed(() =>
      runToolTests(sandbox, tool.code, 'calculate_molecular_weight', tool.testCases),
    );
    if (!outcome.ok || outcome.reply.results.some((result) => result.outcome !== 'pass'))
      throw new Error('the benchmark tool failed validation');
    samples.push(ms);
  }
  return samples;
}

/** A model answering after `modelLatencyMs` per call: 0 measures Toolsmith alone, a second resembles a real model. */
async function jobWallTimes(modelLatencyMs: number): Promise<{ one: number[]; ten: number[] }> {
  const stack = await startTestStack({ script: catalogueScript(standardCatalogue, { delayMs: modelLatencyMs }) });
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
      for (const [count, samples] of [
        [1, one],
        [10, ten],
      ] as const) {
        const [ms, job] = await timed(() => runJob(stack, requirements(count)));
        if (job.status !== 'completed' || job.toolFiles.length !== count)
          throw new Error(`a ${count}-tool job did not complete: ${JSON.stringify(job)}`);
        samples.push(ms);
      }
    }
    return { one, ten };
  } finally {
    await stack.stop();
  }
}

const REALISTIC_MODEL_LATENCY_MS = Number(process.env.BENCH_MODEL_LATENCY_MS ?? 1_000);

async function main(): Promise<void> {
  console.log(`Validation latency: molecular-weight tool, 2 test cases, in bubblewrap (${VALIDATION_RUNS} runs)…`);
  const validation = await validationLatency();
  console.log(`Job wall time, POST to completed, 0-latency scripted model (${JOB_RUNS} runs each)…`);
  const instant = await jobWallTimes(0);
  console.log(
    `Job wall time, POST to completed, scripted model answering in ${REALISTIC_MODEL_LATENCY_MS} ms (${JOB_RUNS} runs each)…`,
  );
  const realistic = await jobWallTimes(REALISTIC_MODEL_LATENCY_MS);

  const row = (name: string, samples: number[]) =>
    console.log(
      `| ${name} | ${median(samples).toFixed(0)} ms | ${Math.min(...samples).toFixed(0)} ms | ${Math.max(...samples).toFixed(0)} ms |`,
    );
  const ratio = (jobs: { one: number[]; ten: number[] }) => (median(jobs.ten) / median(jobs.one)).toFixed(2);
  console.log('');
  console.log('| benchmark | median | min | max |');
  console.log('| --- | --- | --- | --- |');
  row('validate molecular-weight tool (one sandbox run)', validation);
  row('job with 1 tool, 0-latency model', instant.one);
  row('job with 10 tools, 0-latency model', instant.ten);
  row(`job with 1 tool, ${REALISTIC_MODEL_LATENCY_MS} ms model`, realistic.one);
  row(`job with 10 tools, ${REALISTIC_MODEL_LATENCY_MS} ms model`, realistic.ten);
  console.log('');
  console.log(
    `10 tools / 1 tool wall-time ratio: ${ratio(instant)}× with a 0-latency model, ${ratio(realistic)}× with a ${REALISTIC_MODEL_LATENCY_MS} ms model (one tool after another would be ~10×)`,
  );
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
