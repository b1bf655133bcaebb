import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const BURST_JOBS = 12;
const API_RATE = 20;

/** The cells of every table row that starts with `first`, trimmed. */
function rowsOf(output: string, first: string): string[][] {
  return output
    .split('\n')
    .filter((candidate) => candidate.startsWith(`| ${first} |`))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** The cells of the first table row that starts with `first`. */
function rowOf(output: string, first: string): string[] {
  const [row] = rowsOf(output, first);
  assert.ok(row, `no row "${first}" in:\n${output}`);
  return row;
}

/** A printed figure ("12 ms", "3.4 ms", "4.0 s", "5.1", "80 %", "1.3×") and how far rounding can be from it. */
interface Figure {
  value: number;
  rounding: number;
}

function figureOf(text: string): Figure {
  const match = /^(\d+(?:\.(\d+))?)\s*(?:ms|s|%|×)?$/.exec(text.trim());
  assert.ok(match, `"${text}" is not a figure`);
  return { value: Number(match[1]), rounding: 0.5 * 10 ** -(match[2]?.length ?? 0) };
}

/** The printed quotient is numerator / denominator (× scale), as far as the rounding of all three allows. */
function assertQuotient(printed: Figure, numerator: Figure, denominator: Figure, what: string, scale = 1): void {
  const lowest = ((numerator.value - numerator.rounding) / (denominator.value + denominator.rounding)) * scale;
  const denominatorLow = denominator.value - denominator.rounding;
  const highest = denominatorLow > 0 ? ((numerator.value + numerator.rounding) / denominatorLow) * scale : Infinity;
  assert.ok(
    printed.value + printed.rounding >= lowest && printed.value - printed.rounding <= highest,
    `${what}: printed ${printed.value}, but ${numerator.value} / ${denominator.value} gives ${lowest.toFixed(3)}…${highest.toFixed(3)}`,
  );
}

/** A latency the table shows: a positive number of milliseconds, below the suite's own timeout. */
function assertLatency(cell: string, what: string): Figure {
  assert.match(cell, /^\d+(\.\d)? ms$/, what);
  const latency = figureOf(cell);
  assert.ok(latency.value > 0 && latency.value < 600_000, `${what}: ${cell}`);
  return latency;
}

/** The figure after `label` in the output, e.g. `job throughput / empty-workflow throughput: 85 %`. */
function figureAfter(output: string, label: string, unit: string): Figure {
  const escaped = label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`${escaped}:? (\\d+(?:\\.\\d+)?) ?${unit}`).exec(output);
  assert.ok(match, `no "${label} … ${unit}" in:\n${output}`);
  return figureOf(match[1]!);
}

/**
 * `npm run bench`'s engine, API, burst and model-cost sections, small, as a person runs them: each prints its
 * table, and the burst loses nothing. No speed is judged here (that is the benchmark's to report),
 * but every figure must be a measurement: a number in the range it can have, and each ratio the
 * quotient of the two figures it names.
 */
describe('bench, short: the engine, API, burst and model-cost sections print their tables; the burst loses nothing', function () {
  this.timeout(600_000);
  let output: string;

  before(async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        BENCH_SECTIONS: 'engine,api,burst,models',
        // the starter suite once, against the strict endpoint (test/e2e/model-habits.test.ts covers the others)
        BENCH_MODEL_ENDPOINTS: 'json_schema',
        BENCH_ENGINE_RUNS: '2',
        BENCH_ENGINE_THROUGHPUT_JOBS: '4',
        BENCH_ENGINE_CONCURRENCY: '2',
        BENCH_API_RATE: String(API_RATE),
        BENCH_API_SECONDS: '1',
        BENCH_BURST_JOBS: String(BURST_JOBS),
        // fewer places than jobs: the burst is paced by 429s, as the full one is
        BENCH_BURST_RUNNING_JOBS: '4',
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    output = result.stdout;
  });

  it('compares a 1-tool job with an empty workflow of as many activities, CPU per program included', () => {
    const engineRow = (name: string) => {
      const [, latency, perSecond] = rowOf(output, name);
      return { latency: assertLatency(latency!, name), perSecond };
    };
    const empty = engineRow('empty workflow, 5 no-op activities (the limit)');
    const untuned = engineRow('the same, dev server untuned (previous version)');
    const job = engineRow('1-tool job, 0-latency model, POST to result');
    const withoutSandbox = engineRow('1-tool job minus its sandbox time');
    const [emptyPerSecond, untunedPerSecond, jobsPerSecond] = [empty, untuned, job].map(({ perSecond }) => {
      assert.match(perSecond!, /^\d+\.\d$/);
      const figure = figureOf(perSecond!);
      assert.ok(figure.value > 0, `${perSecond} per second`);
      return figure;
    });
    // each job's time minus its own sandbox time is shorter, so their median is too
    assert.ok(withoutSandbox.latency.value <= job.latency.value + job.latency.rounding, 'minus sandbox ≤ the job');

    const ratio = (label: string) => figureAfter(output, label, '×');
    assertQuotient(
      ratio('1-tool job minus sandbox / empty workflow'),
      withoutSandbox.latency,
      empty.latency,
      'job minus sandbox / empty workflow, medians',
    );
    assertQuotient(
      figureAfter(output, 'job throughput / empty-workflow throughput', '%'),
      jobsPerSecond!,
      emptyPerSecond!,
      'job / empty-workflow throughput',
      100,
    );
    assertQuotient(
      ratio('dev server tuning: empty workflow'),
      untuned.latency,
      empty.latency,
      'untuned / tuned median',
    );
    assertQuotient(ratio('faster, throughput'), emptyPerSecond!, untunedPerSecond!, 'tuned / untuned throughput');
    assert.match(output, /CPU per job at that throughput, ms: .*temporal \d+.*; per empty workflow: .*temporal \d+/);
  });

  it('measures GET of a finished job, a running job and a tool, without an error', () => {
    for (const what of [
      'GET /jobs/{id}, finished job (MongoDB mirror)',
      'GET /jobs/{id}, running job (Temporal query)',
      'GET /tools/{id}',
    ]) {
      const rows = rowsOf(output, what);
      assert.ok(rows.length >= 1, `no row "${what}" in:\n${output}`);
      for (const [, offered, p50, p99, achieved, errors] of rows) {
        const [median, tail] = [assertLatency(p50!, `${what} p50`), assertLatency(p99!, `${what} p99`)];
        assert.ok(median.value <= tail.value, `${what}: p50 ${p50} above p99 ${p99}`);
        const perSecond = figureOf(achieved!).value;
        assert.ok(perSecond > 0, `${what}: ${achieved} per second`);
        if (offered !== 'max') {
          // autocannon paces the offered rate: what it achieved is about that, never far beyond it
          assert.equal(offered, String(API_RATE), what);
          assert.ok(perSecond <= API_RATE * 1.25, `${what}: ${achieved}/s achieved at ${offered}/s offered`);
        }
        assert.equal(errors, '0', `${what}:\n${output}`);
      }
    }
  });

  it(`runs a burst of ${BURST_JOBS} jobs through 4 running places: each completed with its tool, 0 lost`, () => {
    const [, submitted, ended, perSecond, completed, registered, lost, refused] = rowOf(output, String(BURST_JOBS));
    assert.deepEqual([completed, registered, lost], [String(BURST_JOBS), String(BURST_JOBS), '0'], output);
    assert.ok(Number(refused) > 0, 'some submissions were refused (429) and retried');
    const [submittedIn, endedIn] = [figureOf(submitted!), figureOf(ended!)];
    assert.ok(
      submittedIn.value > 0 && submittedIn.value <= endedIn.value,
      `submitted in ${submitted}, ended in ${ended}`,
    );
    assertQuotient(figureOf(perSecond!), { value: BURST_JOBS, rounding: 0 }, endedIn, 'burst jobs / all ended in');
  });

  it('runs the starter suite through the eval harness: calls and tokens per tool beside the figure before issue 18', () => {
    const perTool = (cells: string[]) => {
      const [, tasks, made, successful, calls, requests, prompt, completion, tokens] = cells;
      const [taskCount, madeCount, successCount] = [tasks, made, successful].map(Number);
      assert.ok(taskCount! > 0 && madeCount! <= taskCount! && successCount! <= madeCount!, cells.join(' | '));
      for (const cell of [calls, prompt, completion, tokens]) assert.ok(figureOf(cell!).value > 0, cells.join(' | '));
      const [promptFigure, completionFigure, tokensFigure] = [prompt, completion, tokens].map((cell) =>
        figureOf(cell!),
      );
      // the rounded parts add up to the rounded whole
      assert.ok(
        Math.abs(promptFigure!.value + completionFigure!.value - tokensFigure!.value) <= 1,
        `prompt + completion = tokens per tool: ${cells.join(' | ')}`,
      );
      return { calls: figureOf(calls!), requests, tokens: tokensFigure! };
    };
    const beforeRow = rowOf(output, 'before issue 18 (commit 6e2179e, `npm run eval -- eval/`)');
    const before = perTool(beforeRow);
    assert.deepEqual(
      beforeRow.slice(1),
      ['17', '16', '14', '2.2', '–', '224', '112', '335'],
      'the figure measured before',
    );
    const now = perTool(rowOf(output, 'now, strict json_schema'));
    assert.ok(figureOf(now.requests!).value >= now.calls.value, 'every answered call was a request');
    assertQuotient(figureAfter(output, 'now / before, per tool: model calls', '×'), now.calls, before.calls, 'calls');
    assertQuotient(figureAfter(output, ', tokens', '×'), now.tokens, before.tokens, 'tokens');
  });
});
