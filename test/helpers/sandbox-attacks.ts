/**
 * What the sandbox suites share: the limits the attacks run under, untrusted tools written as a
 * function `f()` with no input, and the checks on an outcome. test/sandbox/attacks.test.ts holds
 * the table of attacks run against both the cold runner and the warm pool.
 */

import assert from 'node:assert/strict';
import type { SandboxLimits } from '../../sandbox/limits';
import type { SandboxReply } from '../../sandbox/outcome';
import type { ToolCallReply } from '../../sandbox/protocol';

/** Small enough that each attack hits its limit in seconds; each case narrows one where it needs to. */
export const ATTACK_LIMITS: SandboxLimits = {
  wallTimeMs: 15_000,
  memoryMb: 1024,
  outputBytes: 100_000,
  cpuSeconds: 10,
  processes: 32,
};

/** Python source defining `f()` with the given body (written at the left margin here). */
export const toolSource = (body: string, imports = 'import os') =>
  [
    imports,
    '',
    'def f():',
    ...body
      .trim()
      .split('\n')
      .map((line) => `    ${line}`),
    '',
  ].join('\n');

/** The harness's reply: the run itself must not have broken down. */
export function replyOf(outcome: SandboxReply<ToolCallReply>): ToolCallReply {
  assert.ok(outcome.ok, outcome.ok ? '' : `the run broke down: ${outcome.problem}`);
  return outcome.reply;
}

/** The tool's output: it must have returned. */
export function outputOf(outcome: SandboxReply<ToolCallReply>): unknown {
  const reply = replyOf(outcome);
  assert.ok(reply.ok, `the tool raised ${reply.error?.type}: ${reply.error?.message}`);
  return reply.output;
}

export const problemOf = (outcome: SandboxReply<unknown>) => (outcome.ok ? '' : outcome.problem);
export const limitOf = (outcome: SandboxReply<unknown>) => (outcome.ok ? undefined : outcome.limit);
