import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const BURST_JOBS = 12;

/** The cells of the table row that starts with `first`, trimmed. */
function rowOf(output: string, first: string): string[] {
  const line = output.split('\n').find((candidate) => candidate.startsWith(`| ${first} |`));
  assert.ok(line, `no row "${first}" in:\n${output}`);
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/**
 * `npm run bench`'s engine, API and burst sections, small, as a person runs them: each prints its
 * table, and the burst loses nothing. No figure is judged here: speed is the benchmark's to report.
 */
describe('bench, short: the engine, API and burst sections print their tables; the burst loses nothing', function () {
  this.timeout(600_000);
  let output: string;

  before(async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        BENCH_SECTIONS: 'engine,api,burst',
        BENCH_ENGINE_RUNS: '2',
        BENCH_ENGINE_THROUGHPUT_JOBS: '4',
        BENCH_ENGINE_CONCURRENCY: '2',
        BENCH_API_RATE: '20',
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
    const [, latency, perSecond] = rowOf(output, 'empty workflow, 5 no-op activities (the limit)');
    assert.match(latency!, /^\d+ ms$/);
    assert.match(perSecond!, /^\d+\.\d$/);
    assert.match(output, /job throughput \/ empty-workflow throughput: \d+ %/);
    assert.match(output, /CPU per job at that throughput, ms: .*temporal \d+.*; per empty workflow: .*temporal \d+/);
  });

  it('measures GET of a finished job, a running job and a tool, without an error', () => {
    for (const what of [
      'GET /jobs/{id}, finished job (MongoDB mirror)',
      'GET /jobs/{id}, running job (Temporal query)',
      'GET /tools/{id}',
    ]) {
      const [, , p50, p99, , errors] = rowOf(output, what);
      assert.match(p50!, /ms$/, what);
      assert.match(p99!, /ms$/, what);
      assert.equal(errors, '0', `${what}:\n${output}`);
    }
  });

  it(`runs a burst of ${BURST_JOBS} jobs through 4 running places: each completed with its tool, 0 lost`, () => {
    const [, , , , completed, registered, lost, refused] = rowOf(output, String(BURST_JOBS));
    assert.deepEqual([completed, registered, lost], [String(BURST_JOBS), String(BURST_JOBS), '0'], output);
    assert.ok(Number(refused) > 0, 'some submissions were refused (429) and retried');
  });
});
