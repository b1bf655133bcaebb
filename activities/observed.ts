import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { wrapEach, type AnyActivity } from './wrap-each';

export type ActivityOutcome = 'completed' | 'failed' | 'cancelled';

/** What the worker counts per attempt (worker/metrics.ts fills it with Prometheus series). */
export interface ActivityMetrics {
  executions: { inc(labels: { stage: string; outcome: ActivityOutcome }): void };
  failures: { inc(labels: { stage: string; code: string }): void };
  durations: { observe(labels: { stage: string; outcome: ActivityOutcome }, seconds: number): void };
}

function failureCode(error: unknown): string {
  if (error instanceof ApplicationFailure) return error.type ?? 'ApplicationFailure';
  return error instanceof Error ? error.name : 'unknown';
}

/** The requirement an activity works on, for the log line, when its input names one. */
function requirementIndexOf(args: unknown[]): number | undefined {
  const input = args[0] as { requirementIndex?: unknown } | undefined;
  return typeof input?.requirementIndex === 'number' ? input.requirementIndex : undefined;
}

/**
 * Counts, times and logs every attempt of every activity by its pipeline stage (a success at debug,
 * as the SDK logs its own "Activity completed"; a failure at warn). The log goes
 * through the activity's context logger, which adds the attempt, the activity and workflow ids
 * (the workflow id is the job id: named so too, for searching the logs by job).
 */
export function observed<T extends Record<string, AnyActivity>>(
  activities: T,
  stages: Record<keyof T, string>,
  metrics: ActivityMetrics,
): T {
  return wrapEach(activities, (name, activity) => async (...args) => {
    const context = Context.current();
    const stage = stages[name as keyof T];
    const fields = {
      jobId: context.info.workflowExecution?.workflowId,
      requirementIndex: requirementIndexOf(args),
      stage,
    };
    const started = performance.now();
    const finish = (outcome: ActivityOutcome) => {
      const seconds = (performance.now() - started) / 1000;
      metrics.executions.inc({ stage, outcome });
      metrics.durations.observe({ stage, outcome }, seconds);
      return { ...fields, outcome, durationMs: Math.round(seconds * 1000) };
    };
    context.log.debug(`${stage} started`, fields);
    try {
      const result = await activity(...args);
      context.log.debug(`${stage} completed`, finish('completed'));
      return result;
    } catch (error) {
      const outcome = context.cancellationSignal.aborted ? 'cancelled' : 'failed';
      const code = failureCode(error);
      if (outcome === 'failed') metrics.failures.inc({ stage, code });
      context.log.warn(`${stage} ${outcome}`, { ...finish(outcome), code, error: (error as Error).message });
      throw error;
    }
  });
}
