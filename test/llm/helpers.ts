import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  startScriptedModel,
  type ModelScript,
  type ScriptedModel,
  type ScriptedModelOptions,
} from '../../dev/scripted-model';
import {
  createLlmGateway,
  type LlmCallContext,
  type LlmCallRecord,
  type LlmGateway,
  type LlmSettings,
  type StructuredRequest,
} from '../../llm/gateway';
import type { EndpointHabitChange } from '../../llm/endpoint-memory';

/** A reply shape of the tests' own (the pipeline's shapes change with the pipeline). */
export const answerSchema = z.strictObject({
  answer: z.string().min(1).max(200),
  confidence: z.number().min(0).max(1),
});
export const goodAnswer = { answer: 'forty-two', confidence: 0.9 };

export const toolContext = (step = 'plan', requirementIndex: number | null = 0): LlmCallContext => ({
  jobId: 'job_llm_test',
  runId: 'run-1',
  requirementIndex,
  step,
});

export function answerRequest(fields: Partial<StructuredRequest<typeof answerSchema>> = {}) {
  return {
    context: toolContext(),
    schemaName: 'answer',
    schema: answerSchema,
    system: 'You answer questions.',
    user: 'What is six times seven?',
    ...fields,
  };
}

export interface GatewayUnderTest {
  model: ScriptedModel;
  gateway: LlmGateway;
  records: LlmCallRecord[];
  changes: EndpointHabitChange[];
  /** another gateway on the same endpoint, recording into the same lists (its own memory unless given one) */
  gatewayWith(settings: Partial<LlmSettings>): LlmGateway;
}

/** The scripted model on loopback and a gateway to it, recording every call and every change it learns. */
export async function gatewayUnderTest(
  script: ModelScript,
  options: { server?: ScriptedModelOptions; settings?: Partial<LlmSettings> } = {},
): Promise<GatewayUnderTest> {
  const model = await startScriptedModel(script, 0, options.server);
  const records: LlmCallRecord[] = [];
  const changes: EndpointHabitChange[] = [];
  const base: LlmSettings = {
    apiKey: 'test-key',
    baseUrl: model.baseUrl,
    model: 'test-model',
    requestTimeoutMs: 10_000,
    onModeChange: (change) => changes.push(change),
    ...options.settings,
  };
  const gatewayWith = (settings: Partial<LlmSettings>) =>
    createLlmGateway({ ...base, ...settings }, async (call) => {
      records.push(call);
    });
  return { model, gateway: gatewayWith({}), records, changes, gatewayWith };
}

/** The system message of a call the scripted model received. */
export const systemOf = (call: { messages: { role: string; content: string }[] }) =>
  call.messages.find((message) => message.role === 'system')!.content;

/** Starts gateways under test for a describe block; each test's scripted models are closed after it. */
export function gatewaysUnderTest(): typeof gatewayUnderTest {
  const open: GatewayUnderTest[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((under) => under.model.close()));
  });
  return async (script, options) => {
    const under = await gatewayUnderTest(script, options);
    open.push(under);
    return under;
  };
}

/** The call fails with this ServiceError code, retryable or not, and a message that matches; returns the error. */
export async function assertFails(
  call: Promise<unknown>,
  expected: { code: string; retryable: boolean; message: RegExp },
): Promise<any> {
  let failure: any;
  await assert.rejects(call, (error: any) => {
    failure = error;
    assert.equal(error.code, expected.code, error.message);
    assert.equal(error.retryable, expected.retryable);
    assert.match(error.message, expected.message);
    return true;
  });
  return failure;
}
