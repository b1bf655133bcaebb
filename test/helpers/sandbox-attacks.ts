/**
 * Untrusted tools for the sandbox suites: each a function `f()` with no input. The cold runner's
 * suite and the warm pool's run the same attacks, so both sandboxes are held to the same bar.
 */

import type { SandboxLimits } from '../../sandbox/runner';

/** Small enough that each attack hits its limit in seconds; each test narrows one where it needs to. */
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

export const attacks = {
  forkBomb: 'while True:\n    os.fork()',
  forkBombIgnoringFailures: 'while True:\n    try:\n        os.fork()\n    except OSError:\n        pass',
  unboundedMemory: 'chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))',
  /** each child stays under its own address-space limit for long; together they do not */
  memorySpreadOverProcesses: `
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        chunks = []
        while True:
            chunks.append(bytearray(10 ** 7))
    children.append(pid)
return [os.waitpid(pid, 0)[1] & 0x7F for pid in children]`,
  infiniteLoop: 'while True:\n    pass',
};
