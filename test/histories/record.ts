/**
 * `npm run histories:record`: runs representative jobs on a fresh test stack and saves their
 * histories here, for test/unit/replay/saved-histories.test.ts. Re-record only for a workflow
 * change that is meant to be incompatible (and then think about the jobs still running on the old
 * code: use `patched()`).
 * `npm run histories:record -- reuse` records only the named histories, keeping the others as the
 * older workflow code wrote them (which is what proves old runs still replay).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { pollUntil, postJson } from '../../dev/http';
import { FINISHED, requirement } from '../../dev/jobs';
import type { ModelReply } from '../../dev/scripted-model';
import { startTestStack, type TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const catalogue = catalogueScript(standardCatalogue);

async function submit(stack: TestStack, descriptions: string[], options?: { reuse: boolean }): Promise<string> {
  const created = await postJson(`${stack.apiUrl}/jobs`, {
    toolRequirements: descriptions.map(requirement),
    metadata: { clientId: 'histories' },
    ...(options ? { options } : {}),
  });
  return created.body.jobId;
}

async function waitEnded(stack: TestStack, jobId: string): Promise<any> {
  return (await pollUntil(`${stack.apiUrl}/jobs/${jobId}`, (answer) => FINISHED.includes(answer.body.status), 120_000, 200)).last.body;
}

/** The temporal CLI's JSON export: the format the Web UI downloads and `historyFromJSON` reads. */
async function save(stack: TestStack, name: string, jobId: string, runId?: string): Promise<void> {
  const args = ['workflow', 'show', '--address', stack.env.address, '--workflow-id', jobId, '--output', 'json'];
  const { stdout } = await promisify(execFile)(stack.tools.temporalCliPath!, runId ? [...args, '--run-id', runId] : args, {
    maxBuffer: 64 * 1024 * 1024,
  });
  await writeFile(path.join(__dirname, `${name}.json`), stdout);
  console.log(`saved ${name}.json (${(JSON.parse(stdout) as { events: unknown[] }).events.length} events)`);
}

const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';

/** Each recording, by the name of what it saves; run in this order. */
const recordings: Record<string, (stack: TestStack) => Promise<void>> = {
  async success(stack) {
    const success = await submit(stack, [MOLECULAR_WEIGHT], { reuse: false });
    await waitEnded(stack, success);
    await save(stack, 'success', success);
  },

  async repair(stack) {
    const repair = await submit(stack, ['Calculate the average molecular mass of a compound from SMILES.'], { reuse: false });
    await waitEnded(stack, repair);
    await save(stack, 'repair', repair);
  },

  async 'partial-failure+retry'(stack) {
    stack.model.setScript((call): ModelReply =>
      call.messages[1]!.content.includes('molecular weight') ? { status: 503, error: 'overloaded', headers: { 'retry-after': '0.05' } } : catalogue(call),
    );
    const partial = await submit(
      stack,
      [
        'Predict the winning lottery numbers of the next draw.',
        'Convert a temperature between Celsius, Fahrenheit and Kelvin.',
        MOLECULAR_WEIGHT,
      ],
      { reuse: false },
    );
    const firstRun = await waitEnded(stack, partial);
    await save(stack, 'partial-failure', partial, firstRun.temporal.runId);
    stack.model.setScript(catalogue);
    const retried = await postJson(`${stack.apiUrl}/jobs/${partial}/retry`, {});
    await waitEnded(stack, partial);
    await save(stack, 'retry', partial, retried.body.temporal.runId);
  },

  async cancelled(stack) {
    stack.model.setScript((call): ModelReply => (call.schemaName === 'tool_implementation' ? { ...catalogue(call), delayMs: 60_000 } : catalogue(call)));
    stack.model.calls.length = 0;
    const cancelled = await submit(stack, [MOLECULAR_WEIGHT], { reuse: false });
    await waitFor(() => stack.model.calls.some((call) => call.schemaName === 'tool_implementation'), 30_000, 'implement');
    await postJson(`${stack.apiUrl}/jobs/${cancelled}/cancel`, {});
    await waitEnded(stack, cancelled);
    await save(stack, 'cancelled', cancelled);
    stack.model.setScript(catalogue);
  },

  /** A plain job after the split into task queues (a patched() change): its activities on three queues. */
  async 'task-queues'(stack) {
    const job = await submit(stack, [MOLECULAR_WEIGHT], { reuse: false });
    await waitEnded(stack, job);
    await save(stack, 'task-queues', job);
  },

  /** A job answered partly by a registered tool (the reuse lookup, a patched() change) and partly by the model. */
  async reuse(stack) {
    await waitEnded(stack, await submit(stack, [MOLECULAR_WEIGHT], { reuse: false }));
    const reused = await submit(stack, [MOLECULAR_WEIGHT, 'Convert a temperature between Celsius, Fahrenheit and Kelvin.']);
    await waitEnded(stack, reused);
    await save(stack, 'reuse', reused);
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !Object.keys(recordings).some((key) => key.split('+').includes(name)));
  if (unknown.length) throw new Error(`no recording named ${unknown.join(', ')}; known: ${Object.keys(recordings).join(', ')}`);
  const stack = await startTestStack({ script: catalogue });
  try {
    for (const [name, record] of Object.entries(recordings)) {
      if (wanted.length === 0 || name.split('+').some((part) => wanted.includes(part))) await record(stack);
    }
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
