/**
 * `npm run histories:record`: runs representative jobs on a fresh test stack and saves their
 * histories here, for test/replay.test.ts. Re-record only for a workflow change that is meant to be
 * incompatible (and then think about the jobs still running on the old code: use `patched()`).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { catalogueScript, standardCatalogue } from '../helpers/canned-tools';
import { pollUntil, postJson } from '../helpers/http';
import { FINISHED, requirement } from '../helpers/jobs';
import type { ModelReply } from '../helpers/scripted-model';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const catalogue = catalogueScript(standardCatalogue);

async function submit(stack: TestStack, descriptions: string[]): Promise<string> {
  const created = await postJson(`${stack.apiUrl}/jobs`, { toolRequirements: descriptions.map(requirement), metadata: { clientId: 'histories' } });
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

async function main(): Promise<void> {
  const stack = await startTestStack({ script: catalogue });
  try {
    const success = await submit(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    await waitEnded(stack, success);
    await save(stack, 'success', success);

    const repair = await submit(stack, ['Calculate the average molecular mass of a compound from SMILES.']);
    await waitEnded(stack, repair);
    await save(stack, 'repair', repair);

    stack.model.setScript((call): ModelReply =>
      call.messages[1]!.content.includes('molecular weight') ? { status: 503, error: 'overloaded', headers: { 'retry-after': '0.05' } } : catalogue(call),
    );
    const partial = await submit(stack, [
      'Predict the winning lottery numbers of the next draw.',
      'Convert a temperature between Celsius, Fahrenheit and Kelvin.',
      'Calculate the molecular weight of a compound from SMILES.',
    ]);
    const firstRun = await waitEnded(stack, partial);
    await save(stack, 'partial-failure', partial, firstRun.temporal.runId);
    stack.model.setScript(catalogue);
    const retried = await postJson(`${stack.apiUrl}/jobs/${partial}/retry`, {});
    await waitEnded(stack, partial);
    await save(stack, 'retry', partial, retried.body.temporal.runId);

    stack.model.setScript((call): ModelReply => (call.schemaName === 'tool_implementation' ? { ...catalogue(call), delayMs: 60_000 } : catalogue(call)));
    stack.model.calls.length = 0;
    const cancelled = await submit(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    await waitFor(() => stack.model.calls.some((call) => call.schemaName === 'tool_implementation'), 30_000, 'implement');
    await postJson(`${stack.apiUrl}/jobs/${cancelled}/cancel`, {});
    await waitEnded(stack, cancelled);
    await save(stack, 'cancelled', cancelled);
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
