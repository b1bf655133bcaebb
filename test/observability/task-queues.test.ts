import assert from 'node:assert/strict';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { useTestStack } from '../../dev/stack';
import { keyedClient } from './helpers';

describe('task queues: model calls and sandbox runs each on a queue of their own', function () {
  this.timeout(180_000);
  const stack = useTestStack(catalogueScript(standardCatalogue));

  it('schedules plan and implement on <queue>-llm, validate on <queue>-sandbox, the rest on the main queue; mirrors locally', async () => {
    const client = await keyedClient(stack());
    const job = await client.runJob(['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.toolFiles.length, 1);

    const history = await stack().env.client.workflow.getHandle(job.jobId).fetchHistory();
    const queueOf: Record<string, Set<string>> = {};
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (!scheduled) continue;
      (queueOf[scheduled.activityType!.name!] ??= new Set()).add(scheduled.taskQueue!.name!);
    }
    const main = stack().config.temporal.taskQueue;
    assert.deepEqual(Object.fromEntries(Object.entries(queueOf).map(([type, queues]) => [type, [...queues]])), {
      planTool: [`${main}-llm`],
      searchDocs: [main],
      implementTool: [`${main}-llm`],
      validateTool: [`${main}-sandbox`],
      registerTool: [main],
    });
    const localActivities = (history.events ?? []).filter(
      (event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    );
    assert.ok(localActivities.length >= 2, 'the mirror writes, as local activities of the workflow worker');
  });
});
