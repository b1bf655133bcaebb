import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { CURRENT_WORKFLOWS_PATH } from '../../../replay/replay';

const HISTORIES_DIR = path.join(__dirname, '..', '..', 'histories');
const CHANGED_WORKFLOWS_PATH = require.resolve('../../fixtures/changed-workflow');
const savedHistories = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json'));

type History = temporal.api.history.v1.IHistory;

function loadHistory(file: string): History {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

/** What a saved history shows: the job's input and result, and its activities by type and queue. */
function readHistory(file: string) {
  const events = loadHistory(file).events ?? [];
  const started = events[0]!.workflowExecutionStartedEventAttributes!;
  const completed = events.at(-1)!.workflowExecutionCompletedEventAttributes;
  const scheduled = events.flatMap((event) => event.activityTaskScheduledEventAttributes ?? []);
  return {
    input: defaultPayloadConverter.fromPayload<any>(started.input!.payloads![0]!),
    runId: started.originalExecutionRunId,
    result: completed ? defaultPayloadConverter.fromPayload<any>(completed.result!.payloads![0]!) : undefined,
    cancelled: events.at(-1)!.workflowExecutionCanceledEventAttributes !== undefined,
    activities: (type: string) => scheduled.filter((activity) => activity.activityType?.name === type).length,
    queues: new Set(scheduled.map((activity) => activity.taskQueue!.name!)),
  };
}

/** Each history's name is a claim about the run it saved (test/histories/record.ts made them so). */
const representative: Record<string, (history: ReturnType<typeof readHistory>) => void> = {
  'success.json': ({ result, activities }) => {
    assert.deepEqual([result.tools.length, result.failures.length], [1, 0], 'one tool, no failure');
    assert.equal(activities('implementTool'), 1, 'made at the first attempt');
  },
  'repair.json': ({ result, activities }) => {
    assert.equal(result.tools.length, 1);
    assert.ok(activities('implementTool') >= 2 && activities('validateTool') >= 2, 'validated, repaired, validated');
  },
  'partial-failure.json': ({ result }) => {
    assert.ok(result.tools.length >= 1 && result.failures.length >= 1, 'some tools made, some failed');
  },
  'retry.json': (retry) => {
    const first = readHistory('partial-failure.json');
    assert.equal(retry.input.jobId, first.input.jobId, 'a run of the partially failed job');
    assert.notEqual(retry.runId, first.runId, 'another run of it');
    assert.ok(retry.result.tools.length > first.result.tools.length, 'the retry made what the first run did not');
  },
  'cancelled.json': ({ cancelled }) => assert.ok(cancelled, 'the run ended cancelled'),
  'reuse.json': ({ result, activities }) => {
    assert.equal(activities('findReusableTools'), 1);
    assert.ok(result.summary.reused >= 1 && result.summary.reused < result.tools.length, 'partly reused');
  },
  'task-queues.json': ({ queues }) => {
    const [main] = [...queues].filter((queue) => !/-(llm|sandbox)$/.test(queue));
    assert.deepEqual([...queues].sort(), [main, `${main}-llm`, `${main}-sandbox`].sort());
  },
};

describe('replay: saved histories still run on the current workflow code', function () {
  this.timeout(120_000);
  /** every saved history replayed by one worker (one workflow bundle), by file name */
  const replayed = new Map<string, ReplayResult>();

  before(async () => {
    const histories = savedHistories.map((file) => ({ workflowId: file, history: loadHistory(file) }));
    const options = { workflowsPath: CURRENT_WORKFLOWS_PATH, replayName: 'saved histories' };
    for await (const result of Worker.runReplayHistories(options, histories)) replayed.set(result.workflowId, result);
  });

  it('has the representative histories, each showing what its name says (refresh with `npm run histories:record`)', () => {
    assert.deepEqual(savedHistories.sort(), Object.keys(representative).sort());
    for (const file of savedHistories) {
      try {
        representative[file]!(readHistory(file));
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
      }
    }
  });

  for (const file of savedHistories) {
    it(`replays ${file} without a determinism error`, () => {
      assert.ok(replayed.has(file), `${file} was not replayed`);
      const { error } = replayed.get(file)!;
      if (error) throw error;
    });
  }

  it('catches a non-deterministic change to the workflow', async () => {
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: CHANGED_WORKFLOWS_PATH, replayName: 'changed' },
        loadHistory('success.json'),
      ),
      (error: Error) => error.name === 'DeterminismViolationError',
    );
  });
});
