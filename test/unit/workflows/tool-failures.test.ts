import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { eventsQuery } from '../../../workflows/definitions';
import { DEFAULT_SCRIPT, HOUR_MS, jobInput, PASSED, scheduledActivities, useJobWorkflowHarness } from './job-harness';

/** What becomes of a tool that does not come out right: repairs, their end, the deadline, refusals. */
describe('unit: the job workflow, repairs and failures (time-skipping server, stub activities)', function () {
  this.timeout(60_000);
  const harness = useJobWorkflowHarness();

  it('repairs: a failed validation goes back to implement with its problems, and the next attempt passes', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      validateTool: ({ draftRef }) =>
        draftRef.endsWith('-1')
          ? { verdict: 'wrong_values', problems: ['expected 2.0, got 3.0'], testsRun: 2, testsPassed: 1 }
          : PASSED,
    };
    const input = jobInput(['Calculate the average molecular mass of a compound from SMILES.']);
    const handle = await harness.start(input);
    const result = await handle.result();

    assert.deepEqual(
      harness.callsOf(input.jobId, 'implementTool').map((call) => [call.input.attempt, call.input.repair]),
      [
        [1, null],
        [2, { previousDraftRef: 'draft-0-1', verdict: 'wrong_values', problems: ['expected 2.0, got 3.0'] }],
      ],
    );
    assert.equal(harness.callsOf(input.jobId, 'registerTool')[0]!.input.draftRef, 'draft-0-2');
    assert.equal(result.summary.totalTokens, 10 + 2 * 100);
    assert.deepEqual(
      (await scheduledActivities(handle))
        .map((activity) => activity.summary)
        .filter((summary) => /attempt/.test(summary!)),
      [
        'implement tool_0, attempt 1',
        'validate tool_0, attempt 1',
        'implement tool_0, attempt 2',
        'validate tool_0, attempt 2',
      ],
    );
    const { events } = await handle.query(eventsQuery, 0);
    assert.deepEqual(
      events.map((event) => `${event.stage}${event.stage === 'implementing' ? event.attempts : ''}`),
      ['planning', 'searching', 'implementing1', 'executing', 'implementing2', 'executing', 'registering', 'completed'],
    );
    assert.equal(harness.checkedMirror(input.jobId).tools[0]!.attempts, 2);
  });

  it('fails the tool with VALIDATION_FAILED when the repairs are used up, and keeps its last draft as failed', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      validateTool: () => ({
        verdict: 'crashed',
        problems: ['ImportError: no module named rdkit_x'],
        testsRun: 0,
        testsPassed: 0,
      }),
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.'], {
      settings: { maxRepairRounds: 1, toolDeadlineMs: 2 * HOUR_MS },
    });
    const handle = await harness.start(input);
    const result = await handle.result();

    const message =
      'The generated code still failed validation after 2 attempts (0/0 tests passed, crashed): ImportError: no module named rdkit_x';
    assert.deepEqual(result.tools, []);
    assert.deepEqual(result.failures, [
      { requirementIndex: 0, toolRequirement: input.requirements[0], code: 'VALIDATION_FAILED', error: message },
    ]);
    assert.deepEqual(result.summary, { totalRequested: 1, successful: 0, failed: 1, totalTokens: 210, reused: 0 });
    const registrations = harness.callsOf(input.jobId, 'registerTool');
    assert.equal(registrations.length, 1);
    assert.deepEqual(
      [registrations[0]!.input.status, registrations[0]!.input.draftRef, registrations[0]!.input.errors],
      ['failed', 'draft-0-2', [message]],
    );
    const scheduled = await scheduledActivities(handle);
    assert.equal(scheduled.at(-1)!.activity, 'registerTool');
    assert.equal(scheduled.at(-1)!.summary, undefined, 'the failed draft is registered without a summary, as always');
    const last = harness.checkedMirror(input.jobId);
    assert.equal(last.jobStatus, 'completed');
    assert.deepEqual(last.tools[0], {
      requirementIndex: 0,
      stage: 'failed',
      name: 'tool_0',
      attempts: 2,
      toolId: 'failed-0',
      error: message,
    });
  });

  it('fails a tool with GENERATION_TIMEOUT at its deadline, reached on the skipped clock only', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      validateTool: () => ({ verdict: 'wrong_values', problems: ['off by one'], testsRun: 1, testsPassed: 0 }),
      implementTool: (input) => {
        if (input.attempt === 1) return DEFAULT_SCRIPT.implementTool(input);
        // the retry comes three hours later: only the workflow's deadline (two hours) can end the wait
        throw ApplicationFailure.create({
          type: 'RATE_LIMITED',
          message: 'try again later',
          nextRetryDelay: '3 hours',
        });
      },
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    const serverTimeBefore = await harness.env.currentTimeMs();
    const startedAt = Date.now();
    const handle = await harness.start(input);
    const result = await handle.result();
    const realMs = Date.now() - startedAt;

    const message = 'The tool was not finished within its deadline of 7200 s.';
    assert.deepEqual(
      result.failures.map((failure) => [failure.code, failure.error]),
      [['GENERATION_TIMEOUT', message]],
    );
    assert.ok(realMs < 20_000, `took ${realMs} ms of real time`);
    assert.ok(
      (await harness.env.currentTimeMs()) - serverTimeBefore >= 2 * HOUR_MS,
      'the server clock passed the deadline',
    );
    const [failedDraft] = harness.callsOf(input.jobId, 'registerTool');
    assert.deepEqual(
      [failedDraft!.input.status, failedDraft!.input.draftRef, failedDraft!.input.errors],
      ['failed', 'draft-0-1', [message]],
    );
    assert.equal(harness.checkedMirror(input.jobId).tools[0]!.stage, 'failed');
  });

  it('fails the job with AI_SERVICE_ERROR when the model service refuses every tool', async () => {
    const refusal = 'The model service rejected the API key.';
    harness.script = {
      ...DEFAULT_SCRIPT,
      planTool: () => {
        throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message: refusal, nonRetryable: true });
      },
    };
    const input = jobInput(['first requirement', 'second requirement']);
    const handle = await harness.start(input);
    const error = await handle.result().then(
      () => assert.fail('the job should fail'),
      (failure: unknown) => failure,
    );

    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
    assert.equal(error.cause.type, 'AI_SERVICE_ERROR');
    assert.equal(error.cause.message, refusal);
    assert.equal(error.cause.nonRetryable, true);
    assert.equal(harness.callsOf(input.jobId, 'planTool').length, 2, 'no retry of a refusal');
    const last = harness.checkedMirror(input.jobId);
    assert.deepEqual(
      [last.jobStatus, last.sessionStatus, last.error],
      ['failed', 'failed', { code: 'AI_SERVICE_ERROR', message: refusal }],
    );
    assert.deepEqual(
      last.failures.map((failure) => [failure.requirementIndex, failure.code]),
      [
        [0, 'AI_SERVICE_ERROR'],
        [1, 'AI_SERVICE_ERROR'],
      ],
    );
    assert.equal(last.summary, null);
  });

  it('completes the job with one failure when the model service refuses one of two tools', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      planTool: (input) => {
        if (input.requirementIndex === 0) {
          throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message: 'refused', nonRetryable: true });
        }
        return DEFAULT_SCRIPT.planTool(input);
      },
    };
    const input = jobInput(['first requirement', 'second requirement']);
    const result = await (await harness.start(input)).result();

    assert.deepEqual(result.tools, [{ requirementIndex: 1, toolId: 'registered-1', name: 'tool_1' }]);
    assert.deepEqual(
      result.failures.map((failure) => [failure.requirementIndex, failure.code, failure.error]),
      [[0, 'AI_SERVICE_ERROR', 'refused']],
    );
    assert.equal(harness.checkedMirror(input.jobId).jobStatus, 'completed');
  });
});
