import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { toolFileLocation } from '../activities/register';
import type { ToolDocument } from '../store/documents';
import { loadExample } from './examples';
import { FINISHED } from './jobs';
import { pollUntil, postJson } from './http';
import type { TestStack } from './stack';

/** Runs the seed's molecular-weight job through the stack; returns the registered tool's id. */
export async function makeMolecularWeightTool(stack: TestStack, options: { reuse?: boolean } = {}): Promise<string> {
  const seed = loadExample('molecular-weight.json');
  const created = await postJson(`${stack.apiUrl}/jobs`, { ...seed, options });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { last } = await pollUntil(
    `${stack.apiUrl}/jobs/${created.body.jobId}`,
    (answer) => FINISHED.includes(answer.body.status),
    180_000,
    200,
  );
  assert.equal(last.body.status, 'completed', JSON.stringify(last.body));
  return last.body.toolFiles[0].toolId;
}

export interface HandMadeTool {
  name: string;
  code: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

/**
 * Registers a tool with code of the test's own, straight through the store, for what the scripted
 * pipeline would never register (a tool that raises, floods its output or breaks its own schema).
 */
export async function registerHandMadeTool(stack: TestStack, tool: HandMadeTool): Promise<ToolDocument> {
  const now = new Date();
  const draft = await stack.stores.tools.registerOnce(
    {
      tenant_id: stack.clientId,
      name: tool.name,
      file_name: `${tool.name}.py`,
      description: `A hand-made test tool: ${tool.name}.`,
      code: tool.code,
      input_schema: tool.inputSchema ?? { type: 'object', properties: {} },
      output_schema: tool.outputSchema ?? {},
      dependencies: [],
      test_cases: [],
      status: 'draft',
      errors: [],
      session_id: new ObjectId(),
      job_id: `job_hand_made_${tool.name}`,
      requirement_index: 0,
      requirement: { description: tool.name, input: 'as the test says', output: 'as the test says' },
      idempotency_key: `hand-made:${tool.name}:${new ObjectId().toHexString()}`,
    },
    now,
    (version) => `tools/${toolFileLocation(version)}`,
  );
  const registered = await stack.stores.tools.markRegistered(draft._id, now);
  assert.equal(registered?.status, 'registered');
  return registered;
}

/** Tools the pipeline never makes, each failing in its own way. */
export const misbehavingTools = {
  raises: {
    name: 'refuse_everything',
    code: 'def refuse_everything(reason: str) -> dict:\n    raise RuntimeError(f"refusing: {reason}")\n',
    inputSchema: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'] },
  },
  floodsOutput: {
    name: 'print_forever',
    code: 'def print_forever() -> dict:\n    while True:\n        print("x" * 65536)\n',
  },
  breaksOutputSchema: {
    name: 'weigh_vaguely',
    code: 'def weigh_vaguely() -> dict:\n    return {"molecular_weight": "heavy"}\n',
    outputSchema: {
      type: 'object',
      properties: { molecular_weight: { type: 'number' } },
      required: ['molecular_weight'],
    },
  },
  invalidSchema: {
    name: 'unreadable_schema',
    code: 'def unreadable_schema() -> dict:\n    return {}\n',
    inputSchema: { type: 'no-such-type' },
  },
} satisfies Record<string, HandMadeTool>;

/** Sleeps as long as it is asked to: a call that is still running when the test acts. */
export const napTool: HandMadeTool = {
  name: 'nap',
  code: 'import time\n\ndef nap(seconds: float) -> dict:\n    time.sleep(seconds)\n    return {"slept": seconds}\n',
  inputSchema: { type: 'object', properties: { seconds: { type: 'number' } }, required: ['seconds'] },
};
