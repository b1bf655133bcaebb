import assert from 'node:assert/strict';
import { pollUntil, postJson } from './http';
import type { TestStack } from './stack';
import { endedJobStatuses } from '../contract';

export const FINISHED: readonly string[] = endedJobStatuses;

export function requirement(description: string) {
  return { description, input: 'as described', output: 'as described' };
}

/**
 * Submits a job over HTTP and waits for it to end; returns the final job answer. Its tools are
 * generated, never reused from an earlier test's job.
 */
export function runJob(stack: TestStack, descriptions: string[], timeoutMs = 120_000): Promise<any> {
  return runJobRequest(
    stack,
    { toolRequirements: descriptions.map(requirement), options: { reuse: false } },
    timeoutMs,
  );
}

/**
 * Submits a whole job request (e.g. with `options`) and waits for the job to end; `headers` go with
 * every request (e.g. another client's key).
 */
export async function runJobRequest(
  stack: TestStack,
  body: object,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
): Promise<any> {
  const created = await postJson(`${stack.apiUrl}/jobs`, body, headers);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return waitForJobEnd(stack, created.body.jobId, timeoutMs, headers);
}

/** Polls the job until it has ended (completed, failed or cancelled); returns its final answer. */
export async function waitForJobEnd(
  stack: TestStack,
  jobId: string,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
): Promise<any> {
  const isOver = (answer: { body: any }) => FINISHED.includes(answer.body.status);
  const { last } = await pollUntil(`${stack.apiUrl}/jobs/${jobId}`, isOver, timeoutMs, 200, { headers });
  return last.body;
}

/** The activity types the workflow scheduled, in order, with their summaries, read from the real history. */
export async function scheduledActivities(
  stack: TestStack,
  jobId: string,
): Promise<{ type: string; summary: string | null }[]> {
  const history = await stack.env.client.workflow.getHandle(jobId).fetchHistory();
  const converter = stack.env.client.options.loadedDataConverter.payloadConverter;
  return (history.events ?? [])
    .filter((event) => event.activityTaskScheduledEventAttributes)
    .map((event) => ({
      type: event.activityTaskScheduledEventAttributes!.activityType!.name!,
      summary: event.userMetadata?.summary ? (converter.fromPayload(event.userMetadata.summary) as string) : null,
    }));
}
