import assert from 'node:assert/strict';
import { KILLED_COMPONENTS, POWER_CUT, runChaos, type ChaosReport, type Kill } from '../../chaos/chaos';
import { chaosPassed, formatChaosReport } from '../../chaos/report';

describe('chaos, short: one SIGKILL of each server and one power cut of npm start, with jobs in flight', function () {
  this.timeout(600_000);
  let report: ChaosReport;
  const log: string[] = [];

  before(async () => {
    report = await runChaos({
      killsPerComponent: 1,
      powerCuts: 1,
      jobsPerKill: 2,
      toolsPerJob: 3,
      modelLatencyMs: 200,
      maxPauseBeforeKillMs: 1_500,
      log: (line) => log.push(line),
    });
  });

  it('killed each of the worker, the Temporal dev server and FerretDB once, and npm start as a whole once, each recovering', () => {
    for (const kill of [...KILLED_COMPONENTS, POWER_CUT] as Kill[]) {
      assert.equal(report.recoveries[kill].length, 1, `${kill}:\n${log.join('\n')}`);
    }
  });

  it('completed every job, with exactly one registered tool per requirement, files and mirror matching', () => {
    const table = formatChaosReport(report);
    assert.equal(report.jobs, 8, table);
    assert.equal(report.completedJobs, report.jobs, table);
    assert.deepEqual(report.unfinishedJobs, [], table);
    assert.equal(report.requirements, 24, table);
    assert.equal(report.registeredOnce, report.requirements, table);
    assert.deepEqual(report.duplicates, [], table);
    assert.deepEqual(report.lost, [], table);
    assert.deepEqual(report.mirrorMismatches, [], table);
    assert.deepEqual(report.fileMismatches, [], table);
    assert.deepEqual(report.stillRetrying, [], table);
    assert.equal(report.runningWorkflows, 0, table);
    assert.ok(chaosPassed(report), table);
  });
});
