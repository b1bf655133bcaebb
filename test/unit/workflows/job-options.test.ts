import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { LLM_CALL_TIMEOUT } from '../../../workflows/activity-options';
import { MAX_LAST_REPLY_CHARS } from '../../../workflows/tool-failure';
import { DEFAULT_SCRIPT, HOUR_MS, jobInput, PASSED, scheduledActivities, useJobWorkflowHarness } from './job-harness';

const LLM_STAGES = ['planTool', 'implementTool'];

/** What a job's options and settings change in its run: the model asked, the LLM timeout; and what a failure keeps of the model's reply. */
describe('unit: the job workflow, options.model, the LLM timeout and the last reply (time-skipping server)', function () {
  this.timeout(60_000);
  const harness = useJobWorkflowHarness();

  it('gives the LLM activities the start-to-close timeout the job’s settings name, and no other activity', async () => {
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.'], {
      settings: { maxRepairRounds: 2, toolDeadlineMs: 2 * HOUR_MS, llmCallTimeoutMs: 930_000 },
    });
    const handle = await harness.start(input);
    await handle.result();

    const scheduled = await scheduledActivities(handle);
    const timeouts = Object.fromEntries(scheduled.map((activity) => [activity.activity, activity.startToCloseSeconds]));
    assert.deepEqual(timeouts, {
      findReusableTools: 120,
      planTool: 930,
      searchDocs: 600,
      implementTool: 930,
      validateTool: 180,
      registerTool: 120,
    });
  });

  it('keeps the fixed LLM timeout for a job started without one (as every job before it)', async () => {
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(input.settings.llmCallTimeoutMs, undefined);
    const handle = await harness.start(input);
    await handle.result();

    const llmCalls = (await scheduledActivities(handle)).filter((activity) => LLM_STAGES.includes(activity.activity));
    assert.equal(LLM_CALL_TIMEOUT, '5 minutes');
    assert.deepEqual(
      llmCalls.map((activity) => activity.startToCloseSeconds),
      [300, 300],
    );
  });

  it('sends the job’s options.model to every plan and implementation, and mirrors it for a retry', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      validateTool: ({ draftRef }) =>
        draftRef.endsWith('-1')
          ? { verdict: 'wrong_values', problems: ['test 1: value mismatch'], testsRun: 1, testsPassed: 0 }
          : PASSED,
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.'], {
      options: { reuse: true, model: 'gpt-4.1-mini' },
    });
    await (await harness.start(input)).result();

    assert.deepEqual(
      harness.callsOf(input.jobId, 'planTool').map((call) => call.input.model),
      ['gpt-4.1-mini'],
    );
    assert.deepEqual(
      harness.callsOf(input.jobId, 'implementTool').map((call) => [call.input.attempt, call.input.model]),
      [
        [1, 'gpt-4.1-mini'],
        [2, 'gpt-4.1-mini'],
      ],
    );
    assert.equal(harness.checkedMirror(input.jobId).model, 'gpt-4.1-mini');
  });

  it('names no model without options.model: the worker’s configured ones are asked', async () => {
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.'], { options: { reuse: true } });
    await (await harness.start(input)).result();

    for (const call of [
      ...harness.callsOf(input.jobId, 'planTool'),
      ...harness.callsOf(input.jobId, 'implementTool'),
    ]) {
      assert.ok(!('model' in call.input), JSON.stringify(call.input));
    }
    assert.ok(!('model' in harness.checkedMirror(input.jobId)));
  });

  it('hands a repair the validation report of the attempt before it', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      validateTool: ({ draftRef }) =>
        draftRef.endsWith('-1')
          ? {
              verdict: 'crashed',
              problems: ['test 1: raised ZeroDivisionError: division by zero'],
              testsRun: 1,
              testsPassed: 0,
              reportRef: `report-of-${draftRef}`,
            }
          : PASSED,
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    await (await harness.start(input)).result();

    assert.deepEqual(harness.callsOf(input.jobId, 'implementTool')[1]!.input.repair, {
      previousDraftRef: 'draft-0-1',
      verdict: 'crashed',
      problems: ['test 1: raised ZeroDivisionError: division by zero'],
      reportRef: 'report-of-draft-0-1',
    });
  });

  for (const code of ['MODEL_OUTPUT_TRUNCATED', 'MODEL_REFUSED', 'MODEL_EMPTY_REPLY', 'MODEL_CALL_BUDGET_EXCEEDED']) {
    it(`ends the tool with ${code}, its message and the model’s last reply, at once, into the mirror`, async () => {
      const lastReply = `{"functionName": "calculate_molecular_weight", "summary": "Calcul`;
      const message = `the model failed with ${code}`;
      harness.script = {
        ...DEFAULT_SCRIPT,
        planTool: (input) => {
          if (input.requirementIndex === 1) return DEFAULT_SCRIPT.planTool(input);
          throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: [{ lastReply }] });
        },
      };
      const input = jobInput(['Calculate the molecular weight of a compound from SMILES.', 'Convert a temperature.']);
      const result = await (await harness.start(input)).result();

      assert.equal(
        harness.callsOf(input.jobId, 'planTool').filter((call) => call.input.requirementIndex === 0).length,
        1,
        'a non-retryable failure is not retried',
      );
      const failure = { requirementIndex: 0, toolRequirement: input.requirements[0], code, error: message, lastReply };
      assert.deepEqual(result.failures, [failure]);
      const last = harness.checkedMirror(input.jobId);
      assert.deepEqual(last.failures, [failure]);
      assert.equal(last.jobStatus, 'completed');
      assert.deepEqual(
        result.tools.map((tool) => tool.requirementIndex),
        [1],
      );
    });
  }

  it('keeps the last reply of a retryable unusable reply once the retries are spent, trimmed to its limit', async () => {
    const lastReply = 'x'.repeat(MAX_LAST_REPLY_CHARS + 500);
    harness.script = {
      ...DEFAULT_SCRIPT,
      implementTool: () => {
        throw ApplicationFailure.create({
          type: 'AI_SERVICE_ERROR',
          message: "The model's tool_implementation reply was unusable 3 times in a row",
          details: [{ lastReply }],
          nextRetryDelay: '1 second',
        });
      },
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    const result = await (await harness.start(input)).result();

    assert.equal(harness.callsOf(input.jobId, 'implementTool').length, 5, 'the LLM preset’s attempts');
    const [failure] = result.failures;
    assert.equal(failure!.code, 'AI_SERVICE_ERROR');
    assert.equal(failure!.lastReply, lastReply.slice(0, MAX_LAST_REPLY_CHARS));
    assert.equal(harness.checkedMirror(input.jobId).failures[0]!.lastReply, failure!.lastReply);
  });

  it('keeps no last reply for a failure that carries none', async () => {
    harness.script = {
      ...DEFAULT_SCRIPT,
      planTool: () => {
        throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message: 'refused', nonRetryable: true });
      },
    };
    const input = jobInput(['first requirement', 'second requirement']);
    const handle = await harness.start(input);
    await handle.result().catch(() => undefined);
    for (const failure of harness.checkedMirror(input.jobId).failures) assert.ok(!('lastReply' in failure));
  });
});
