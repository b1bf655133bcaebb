import type { Config } from '../config';
import { createSandboxPool, type SandboxPool, type SandboxPoolSettings } from './pool';

/** The configuration (config.ts, the bottom layer) mapped onto the pool's settings, per role. */

/** The validation sandbox's limits besides the configured ones, for the API's calls too. */
export const SANDBOX_CPU_SECONDS = 60;
export const SANDBOX_MAX_PROCESSES = 64;

/**
 * The pool for a role: the API's calls use the EXECUTOR_* limits, the worker's validation the
 * SANDBOX_* ones (and waits longer for a sandbox: it is a background job).
 */
export function sandboxPoolSettings(config: Config, role: 'api' | 'worker'): SandboxPoolSettings {
  const { executor, sandbox } = config;
  const perCall = role === 'api' ? executor : sandbox;
  return {
    runtimeDir: sandbox.runtimeDir,
    bwrapPath: sandbox.bwrapPath,
    limits: {
      wallTimeMs: perCall.wallTimeMs,
      memoryMb: perCall.memoryMb,
      outputBytes: perCall.outputBytes,
      cpuSeconds: SANDBOX_CPU_SECONDS,
      processes: SANDBOX_MAX_PROCESSES,
    },
    size: role === 'api' ? executor.poolSize : sandbox.poolSize,
    minWarm: executor.minWarm,
    idleMs: executor.idleMs,
    queueTimeoutMs: role === 'api' ? executor.queueTimeoutMs : sandbox.queueTimeoutMs,
    preload: executor.preload,
  };
}

export function sandboxPoolFromConfig(config: Config, role: 'api' | 'worker'): SandboxPool {
  return createSandboxPool(sandboxPoolSettings(config, role));
}
