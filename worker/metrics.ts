import { Counter, Histogram, Registry } from 'prom-client';
import type { CostMetrics } from '../activities/model-usage';
import type { ActivityMetrics } from '../activities/observed';
import type { LlmCallRecord } from '../llm/gateway';
import { limitsHit, type SandboxRunner, type TestRunReply } from '../sandbox/protocol';
import type { SandboxReply } from '../sandbox/outcome';
import type { ModelUsageDocument } from '../store/documents';

export interface WorkerMetrics {
  registry: Registry;
  activities: ActivityMetrics;
  /** counts a model call and its tokens (the gateway reports every call, failed or not) */
  countModelCall(call: Pick<LlmCallRecord, 'step' | 'usage' | 'response' | 'error'>): void;
  /** what each tool and each job cost in model calls and tokens */
  costs: CostMetrics;
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
  const modelCalls = new Counter({
    name: 'toolsmith_llm_calls_total',
    help: 'Model calls, by step and outcome (usable: the reply was used; unusable: it did not parse or check and was re-asked; failed: no reply, e.g. a 429)',
    labelNames: ['step', 'outcome'],
    registers,
  });
  const costHistograms = (subject: 'tool' | 'job', what: string) => ({
    calls: new Histogram({
      name: `toolsmith_${subject}_model_calls`,
      help: `Model calls answered per ${what}, by status`,
      labelNames: ['status'],
      buckets: [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
      registers,
    }),
    tokens: new Histogram({
      name: `toolsmith_${subject}_model_tokens`,
      help: `Model tokens per ${what}, by status and kind (prompt, completion)`,
      labelNames: ['status', 'kind'],
      buckets: [0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000],
      registers,
    }),
  });
  const toolCosts = costHistograms('tool', 'tool stored (registered or failed)');
  const jobCosts = costHistograms('job', 'job, over all its runs, when a run ends');
  const observeCost = (histograms: typeof toolCosts, status: string, usage: ModelUsageDocument) => {
    histograms.calls.observe({ status }, usage.calls);
    histograms.tokens.observe({ status, kind: 'prompt' }, usage.prompt_tokens);
    histograms.tokens.observe({ status, kind: 'completion' }, usage.completion_tokens);
  };
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
    countModelCall({ step, usage, response, error }) {
      const outcome = response === null ? 'failed' : error === null ? 'usable' : 'unusable';
      modelCalls.inc({ step, outcome });
      if (!usage) return;
      tokens.inc({ kind: 'prompt', step }, usage.prompt_tokens);
      tokens.inc({ kind: 'completion', step }, usage.completion_tokens);
    },
    costs: {
      toolStored: (status, usage) => observeCost(toolCosts, status, usage),
      jobEnded: (status, usage) => observeCost(jobCosts, status, usage),
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
