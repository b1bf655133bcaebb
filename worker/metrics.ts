import { Counter, Histogram, Registry } from 'prom-client';
import type { ActivityMetrics } from '../activities/observed';
import type { LlmCallRecord } from '../llm/gateway';
import { limitsHit, type SandboxRunner, type TestRunReply } from '../sandbox/protocol';
import type { SandboxReply } from '../sandbox/runner';

export interface WorkerMetrics {
  registry: Registry;
  activities: ActivityMetrics;
  /** counts a model call's tokens (the gateway reports every call, failed or not) */
  countTokens(call: Pick<LlmCallRecord, 'step' | 'usage'>): void;
  /** the same runner, counting its runs and the sandbox limits they hit */
  countingRuns<S extends SandboxRunner>(sandbox: S): S;
}

/** A registry of the worker's own: its /metrics serves it (with the Temporal SDK's series appended). */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const activities: ActivityMetrics = {
    executions: new Counter({
      name: 'toolsmith_activity_executions_total',
      help: 'Activity attempts that ended, by pipeline stage and outcome (completed, failed, cancelled)',
      labelNames: ['stage', 'outcome'],
      registers,
    }),
    failures: new Counter({
      name: 'toolsmith_activity_failures_total',
      help: 'Failed activity attempts, by pipeline stage and error code',
      labelNames: ['stage', 'code'],
      registers,
    }),
    durations: new Histogram({
      name: 'toolsmith_activity_duration_seconds',
      help: 'Time an activity attempt took, by pipeline stage and outcome',
      labelNames: ['stage', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
  };
  const tokens = new Counter({
    name: 'toolsmith_llm_tokens_total',
    help: 'Model tokens used, by kind (prompt, completion) and step (plan, implement)',
    labelNames: ['kind', 'step'],
    registers,
  });
  const sandboxRuns = new Counter({
    name: 'toolsmith_sandbox_executions_total',
    help: 'Validation runs in the sandbox, by outcome (completed: the harness answered; failed: the run broke down)',
    labelNames: ['outcome'],
    registers,
  });
  const sandboxLimits = new Counter({
    name: 'toolsmith_sandbox_limits_hit_total',
    help: 'Sandbox limits validation runs hit, by limit',
    labelNames: ['limit'],
    registers,
  });

  return {
    registry,
    activities,
    countTokens({ step, usage }) {
      if (!usage) return;
      tokens.inc({ kind: 'prompt', step }, usage.prompt_tokens);
      tokens.inc({ kind: 'completion', step }, usage.completion_tokens);
    },
    countingRuns(sandbox) {
      async function request<T>(...args: Parameters<SandboxRunner['request']>): Promise<SandboxReply<T>> {
        const outcome = await sandbox.request<T>(...args);
        sandboxRuns.inc({ outcome: outcome.ok ? 'completed' : 'failed' });
        // The worker's sandboxes only run test suites.
        for (const limit of limitsHit(outcome as SandboxReply<TestRunReply>)) sandboxLimits.inc({ limit });
        return outcome;
      }
      return { ...sandbox, request };
    },
  };
}
