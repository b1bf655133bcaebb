import assert from 'node:assert/strict';
import { loadExample } from '../../dev/examples';
import { asClient } from '../../dev/http';
import { runJobRequest } from '../../dev/jobs';
import type { TestStack } from '../../dev/stack';

/** the tool the seed request (examples/molecular-weight.json) makes */
export const MOLECULAR_WEIGHT = 'calculate_molecular_weight';
/** the metadata clientId both clients put on their jobs: a label of each client's own, not who the client is */
export const SHARED_LABEL = 'shared-label';

/** The seed request labelled SHARED_LABEL, run to completion as the stack's client (or as `headers` say). */
export async function runLabelledJob(stack: TestStack, headers?: Record<string, string>): Promise<any> {
  const body = { ...loadExample('molecular-weight.json'), metadata: { clientId: SHARED_LABEL } };
  const job = await runJobRequest(stack, body, 120_000, headers);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  return job;
}

export interface OwnJob {
  job: any;
  toolId: string;
  sessionId: string;
}

/** A finished job of the stack's own client, with its tool and session: ids that exist, for routes that take one. */
export async function runOwnJob(stack: TestStack): Promise<OwnJob> {
  const job = await runLabelledJob(stack);
  const session = await stack.stores.sessions.findByJobId(stack.clientId, job.jobId);
  return { job, toolId: job.toolFiles[0].toolId, sessionId: session!._id.toHexString() };
}

/**
 * Mocha hook: a key of another client (`other-client`), made once the stack is up (call it after
 * `useTestStack`); answers the headers that act as that client.
 */
export function useOtherClient(stack: () => TestStack): () => Record<string, string> {
  let key: string;
  before(async () => {
    key = await stack().createApiKey('other-client');
  });
  return () => asClient(key);
}
