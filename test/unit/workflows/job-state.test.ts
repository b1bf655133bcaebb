import assert from 'node:assert/strict';
import type { JobInput, ToolRequirement } from '../../../workflows/definitions';
import { JobState, REVISIONS_PER_RUN } from '../../../workflows/job-state';

function requirement(description: string): ToolRequirement {
  return { description, input: 'a SMILES string', output: 'a number' };
}

function jobInput(overrides: Partial<JobInput> = {}): JobInput {
  return {
    jobId: 'job-1',
    tenantId: 'tenant-a',
    sessionId: '0123456789abcdef01234567',
    requirements: ['first', 'second', 'third'].map(requirement),
    clientId: 'client-a',
    clientSessionId: null,
    requestedAt: '2026-01-01T00:00:00.000Z',
    settings: { maxRepairRounds: 2, toolDeadlineMs: 60_000 },
    previousRun: null,
    ...overrides,
  };
}

type KeptTools = NonNullable<JobInput['previousRun']>['keptTools'];
const aRetry = (keptTools: KeptTools) => jobInput({ previousRun: { runNumber: 2, keptTools } });

describe('unit: JobState, the job workflow’s state', () => {
  it('starts every tool pending, and the tools an earlier run kept completed', () => {
    const state = new JobState(
      aRetry([{ requirementIndex: 1, toolId: 'tool-b', name: 'second_tool' }]),
      'job-1',
      'run-3',
    );
    assert.equal(state.runNumber, 2);
    assert.equal(state.workKey, 'job-1~retry2');
    assert.deepEqual(state.keptTool(1), { requirementIndex: 1, toolId: 'tool-b', name: 'second_tool' });
    assert.deepEqual(state.pendingRequirements(), [0, 2]);
    assert.deepEqual(
      state.progressView().tools.map((tool) => [tool.stage, tool.name, tool.toolId]),
      [
        ['pending', null, null],
        ['completed', 'second_tool', 'tool-b'],
        ['pending', null, null],
      ],
    );
    assert.equal(
      new JobState(jobInput(), 'job-1', 'run-1').workKey,
      'job-1',
      'a first run keys its writes by the job id',
    );
  });

  it('counts progress, and names the current tool only while it is active', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    assert.deepEqual(state.progress(), { total: 3, completed: 0, failed: 0, inProgress: 0, currentTool: null });
    state.startStage(0, 'planning');
    state.planned(0, 'first_tool');
    state.startStage(0, 'searching');
    state.startStage(1, 'planning');
    assert.deepEqual(state.progress(), { total: 3, completed: 0, failed: 0, inProgress: 2, currentTool: null });
    state.startStage(0, 'completed');
    state.failed(1, { code: 'INVALID_REQUIREMENT', message: 'no' });
    assert.deepEqual(state.progress(), { total: 3, completed: 1, failed: 1, inProgress: 0, currentTool: null });
    state.startStage(2, 'planning');
    state.planned(2, 'third_tool');
    state.startStage(2, 'implementing');
    assert.equal(state.progress().currentTool, 'third_tool');
  });

  it('shows the session at the least advanced stage of its active tools', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    assert.equal(state.sessionStatus(), 'pending');
    state.startStage(0, 'executing');
    assert.equal(state.sessionStatus(), 'executing');
    state.startStage(1, 'implementing');
    assert.equal(state.sessionStatus(), 'implementing');
    state.startStage(2, 'searching');
    assert.equal(state.sessionStatus(), 'searching');
    state.startStage(2, 'registering');
    assert.equal(state.sessionStatus(), 'implementing', 'registering ranks with executing, after implementing');
    state.startStage(1, 'completed');
    state.startStage(0, 'failed');
    assert.equal(state.sessionStatus(), 'executing');
    state.startStage(2, 'completed');
    assert.equal(state.sessionStatus(), 'pending', 'no active tool');
    state.complete([]);
    assert.equal(state.sessionStatus(), 'completed', 'an ended job shows its status');
  });

  it('gives a taken function name a suffix: kept, reused and planned names are all taken', () => {
    const input = aRetry([{ requirementIndex: 0, toolId: 'tool-a', name: 'kept_name' }]);
    input.requirements.push(requirement('fourth'), requirement('fifth'));
    const state = new JobState(input, 'job-1', 'run-1');
    state.reused([{ requirementIndex: 1, toolId: 'tool-r', name: 'reused_name' }]);
    assert.equal(state.planned(2, 'x'), 'x');
    assert.equal(state.planned(3, 'x'), 'x_2');
    assert.equal(state.planned(4, 'x'), 'x_3');
    assert.equal(state.planned(2, 'kept_name'), 'kept_name_2');
    assert.equal(state.planned(3, 'reused_name'), 'reused_name_2');
    assert.equal(state.progressView().tools[3]!.name, 'reused_name_2');
  });

  it('numbers events within the run and answers the ones after a seq', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    state.startStage(0, 'planning');
    state.planned(0, 'first_tool');
    state.startStage(0, 'searching');
    state.startAttempt(0, 1);
    state.startAttempt(0, 2);
    const all = state.eventsAfter(0);
    assert.equal(all.runNumber, 0);
    assert.equal(all.status, 'running');
    assert.deepEqual(all.events, [
      { seq: 1, requirementIndex: 0, toolName: null, stage: 'planning', attempts: 0 },
      { seq: 2, requirementIndex: 0, toolName: 'first_tool', stage: 'searching', attempts: 0 },
      { seq: 3, requirementIndex: 0, toolName: 'first_tool', stage: 'implementing', attempts: 1 },
      { seq: 4, requirementIndex: 0, toolName: 'first_tool', stage: 'implementing', attempts: 2 },
    ]);
    assert.deepEqual(
      state.eventsAfter(2).events.map((event) => event.seq),
      [3, 4],
    );
    assert.deepEqual(state.eventsAfter(4).events, []);
  });

  it('records failures as they happen, and in requirement order once every tool is settled', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    state.failing(2, 'too slow');
    assert.equal(state.progressView().tools[2]!.error, 'too slow', 'the error shows before the failed draft is kept');
    assert.equal(state.progressView().tools[2]!.stage, 'pending');
    state.failed(2, { code: 'GENERATION_TIMEOUT', message: 'too slow' }, 'draft-tool-c');
    state.failing(0, 'refused');
    state.failed(0, { code: 'AI_SERVICE_ERROR', message: 'refused' });
    const write = state.takeMirrorWrite();
    assert.deepEqual(
      write.failures.map((failure) => failure.requirementIndex),
      [2, 0],
      'a write during the run has them in the order they happened',
    );
    state.settled();
    assert.deepEqual(
      state.complete([]).failures.map((failure) => [failure.requirementIndex, failure.code, failure.error]),
      [
        [0, 'AI_SERVICE_ERROR', 'refused'],
        [2, 'GENERATION_TIMEOUT', 'too slow'],
      ],
    );
    const tools = state.progressView().tools;
    assert.equal(tools[2]!.toolId, 'draft-tool-c', 'the kept draft');
    assert.equal(tools[0]!.toolId, null);
    assert.deepEqual(state.complete([]).failures[0]!.toolRequirement, requirement('first'));
  });

  it('cancels only the tools not yet finished', () => {
    const state = new JobState(aRetry([{ requirementIndex: 0, toolId: 'tool-a', name: 'kept' }]), 'job-1', 'run-1');
    state.failed(1, { code: 'VALIDATION_FAILED', message: 'wrong' });
    state.startStage(2, 'implementing');
    const seqBefore = state.eventsAfter(0).events.length;
    state.cancelUnfinished();
    assert.equal(state.status, 'cancelled');
    assert.deepEqual(
      state.progressView().tools.map((tool) => tool.stage),
      ['completed', 'failed', 'cancelled'],
    );
    assert.deepEqual(
      state.eventsAfter(seqBefore).events.map((event) => [event.requirementIndex, event.stage]),
      [[2, 'cancelled']],
    );
    assert.equal(state.progress().currentTool, null);
    assert.equal(state.sessionStatus(), 'cancelled');
  });

  it('sums up the run: tokens, successes, failures and reused tools', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    state.reused([{ requirementIndex: 0, toolId: 'tool-r', name: 'reused' }]);
    assert.equal(state.progressView().tools[0]!.reused, true);
    state.addTokens(120);
    state.addTokens(30);
    state.registered(1, 'tool-b');
    state.startStage(1, 'completed');
    state.failed(2, { code: 'VALIDATION_FAILED', message: 'wrong' });
    state.settled();
    const generated = [
      { requirementIndex: 0, toolId: 'tool-r', name: 'reused' },
      { requirementIndex: 1, toolId: 'tool-b', name: 'second' },
    ];
    const result = state.complete(generated);
    assert.equal(state.status, 'completed');
    assert.deepEqual(result.tools, generated);
    assert.deepEqual(result.summary, { totalRequested: 3, successful: 2, failed: 1, totalTokens: 150, reused: 1 });
    assert.deepEqual(state.takeMirrorWrite().summary, result.summary, 'the final write holds the whole answer');
  });

  it('mirrors: requirements in the run’s first write only, revisions numbered per run', () => {
    const first = new JobState(jobInput(), 'job-1', 'run-1');
    const one = first.takeMirrorWrite();
    const two = first.takeMirrorWrite();
    assert.deepEqual(one.toolRequirements, jobInput().requirements);
    assert.equal(two.toolRequirements, null);
    assert.deepEqual([one.revision, two.revision], [1, 2]);
    assert.deepEqual(
      { ...one, toolRequirements: undefined, tools: undefined },
      {
        jobId: 'job-1',
        sessionId: '0123456789abcdef01234567',
        tenantId: 'tenant-a',
        reuseTools: true,
        clientId: 'client-a',
        clientSessionId: null,
        toolRequirements: undefined,
        requestedAt: '2026-01-01T00:00:00.000Z',
        runNumber: 0,
        sessionStatus: 'pending',
        jobStatus: 'running',
        progress: { total: 3, completed: 0, failed: 0, inProgress: 0, currentTool: null },
        tools: undefined,
        failures: [],
        error: null,
        revision: 1,
        runId: 'run-1',
        summary: null,
      },
    );

    const retry = new JobState(
      { ...aRetry([{ requirementIndex: 0, toolId: 'tool-a', name: 'kept' }]), options: { reuse: false } },
      'job-1',
      'run-2',
    );
    const retryFirst = retry.takeMirrorWrite();
    assert.equal(retryFirst.revision, 2 * REVISIONS_PER_RUN + 1);
    assert.deepEqual(retryFirst.toolRequirements, jobInput().requirements);
    assert.equal(retryFirst.reuseTools, false);
    assert.equal(retry.takeMirrorWrite().revision, 2 * REVISIONS_PER_RUN + 2);
  });

  it('wants a mirror write after a stage change or the run’s end, not after other changes', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    assert.equal(state.unmirrored, true, 'the run’s first write');
    state.takeMirrorWrite();
    assert.equal(state.unmirrored, false);
    state.addTokens(5);
    state.planned(0, 'x');
    state.registered(0, 'tool-a');
    state.failing(1, 'bad');
    state.settled();
    assert.equal(state.unmirrored, false, 'these ride along with the next write');
    state.startStage(0, 'planning');
    assert.equal(state.unmirrored, true);
    state.takeMirrorWrite();
    state.fail({ code: 'AI_SERVICE_ERROR', message: 'refused' });
    assert.equal(state.unmirrored, true);
    const last = state.takeMirrorWrite();
    assert.deepEqual(
      [last.jobStatus, last.sessionStatus, last.error],
      ['failed', 'failed', { code: 'AI_SERVICE_ERROR', message: 'refused' }],
    );

    const settled = new JobState(jobInput({ requirements: [requirement('only')] }), 'job-1', 'run-1');
    settled.startStage(0, 'completed');
    settled.takeMirrorWrite();
    settled.cancelUnfinished();
    assert.equal(settled.unmirrored, true, 'a cancelled run writes even when no tool was left to cancel');
  });

  it('describes every tool for the Web UI', () => {
    const state = new JobState(jobInput(), 'job-1', 'run-1');
    state.startStage(0, 'planning');
    state.planned(0, 'first_tool');
    state.startAttempt(0, 2);
    assert.match(state.details(), /^\*\*Job running\*\*/);
    assert.match(state.details(), /\| 1 \| first_tool \| implementing \(attempt 2\) \| first \|/);
  });
});
