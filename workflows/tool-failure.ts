import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { ValidateToolOutput } from '../activities/validate';
import type { GeneratedToolRef } from './definitions';

/** A tool given up by the workflow itself (not by an activity), with the failure code it records. */
export class ToolGenerationFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FailureReason {
  code: string;
  message: string;
  /** the model service refused us (bad or missing key): retrying this job as it is cannot help */
  serviceRefused: boolean;
  /** the start of the model's last unusable reply, when the failure carried one (the gateway's `details.lastReply`) */
  lastReply?: string;
}

/** The most of a last reply a failure keeps (the gateway sends at most 2 KB). */
export const MAX_LAST_REPLY_CHARS = 2_048;

/** `details.lastReply` of an activity's ApplicationFailure (activities/failures.ts passes a ServiceError's details as its first). */
function lastReplyOf(failure: ApplicationFailure): string | undefined {
  const [details] = failure.details ?? [];
  const lastReply = (details as { lastReply?: unknown } | null | undefined)?.lastReply;
  return typeof lastReply === 'string' ? lastReply.slice(0, MAX_LAST_REPLY_CHARS) : undefined;
}

/** How one tool ended: its ref (made, kept or reused), or why it failed. */
export type ToolOutcome = GeneratedToolRef | FailureReason;

export function isGenerated(outcome: ToolOutcome): outcome is GeneratedToolRef {
  return 'toolId' in outcome;
}

export function isServiceRefusal(outcome: ToolOutcome): outcome is FailureReason {
  return 'serviceRefused' in outcome && outcome.serviceRefused;
}

/** The failure code and message a tool records for what ended it (a cancellation here is its deadline). */
export function failureReason(error: unknown, toolDeadlineMs: number): FailureReason {
  if (error instanceof ToolGenerationFailed) return { code: error.code, message: error.message, serviceRefused: false };
  if (isCancellation(error)) {
    return {
      code: 'GENERATION_TIMEOUT',
      message: `The tool was not finished within its deadline of ${Math.round(toolDeadlineMs / 1000)} s.`,
      serviceRefused: false,
    };
  }
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const code = cause.type ?? 'INTERNAL_ERROR';
    const lastReply = lastReplyOf(cause);
    return {
      code,
      message: cause.message,
      serviceRefused: code === 'AI_SERVICE_ERROR' && cause.nonRetryable === true,
      ...(lastReply === undefined ? {} : { lastReply }),
    };
  }
  return { code: 'INTERNAL_ERROR', message: (cause as Error)?.message ?? String(cause), serviceRefused: false };
}

export function validationFailed(validation: ValidateToolOutput, attempts: number): ToolGenerationFailed {
  return new ToolGenerationFailed(
    'VALIDATION_FAILED',
    `The generated code still failed validation after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
      `(${validation.testsPassed}/${validation.testsRun} tests passed, ${validation.verdict.replace('_', ' ')}): ${validation.problems.join('; ')}`,
  );
}
