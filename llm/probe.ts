import { ServiceError, toolPlanSchema } from '../contract';
import type { StructuredOutputSetting } from '../config';
import { EndpointMemory, type TokenLimitParameter } from './endpoint-memory';
import { createLlmGateway, modelFor, type LlmCallContext, type LlmCallRecord, type LlmSettings } from './gateway';
import type { StructuredOutputMode } from './structured-output';

/**
 * One small plan, asked through the gateway's own logic (so `auto` finds the endpoint's mode,
 * remembered in the memory it shares with the worker's gateway), to tell whether the configured
 * endpoint and model can do the job's work: `npx toolsmith doctor`, and the worker at start.
 */

export interface ProbeResult {
  usable: boolean;
  endpoint: string;
  /** the model a plan asks (OPENAI_PLAN_MODEL, else OPENAI_MODEL) */
  model: string;
  setting: StructuredOutputSetting;
  /** the mode the next call uses: what `auto` found */
  structuredOutput: StructuredOutputMode;
  /** the modes the probe's calls used, in order */
  modesTried: StructuredOutputMode[];
  tokenLimitParameter: TokenLimitParameter;
  /** all the probe's HTTP calls together */
  latencyMs: number;
  calls: number;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** why not usable, on one line */
  problem?: string;
  /** the failure's code (AI_SERVICE_ERROR, MODEL_REFUSED, …) */
  code?: string;
}

const PROBE_CONTEXT: LlmCallContext = { jobId: 'probe', runId: null, requirementIndex: null, step: 'plan' };

/** The probe's request: the smallest requirement there is, asked as a real plan. */
export const PROBE_PROMPT = {
  system:
    'You design single-function Python tools from natural-language requirements. Reply with a plan for the tool: a snake_case function name, typed parameters, the return shape, the Python packages it imports (none needed here), and documentation queries (none needed here).',
  user: 'Description: Add two integers.\nInput: two integers a and b\nOutput: {"sum": the sum of a and b}',
};

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Why the probe failed, as a person reads it: most failures say so themselves; unusable replies get named. */
function describeFailure(error: ServiceError, modesTried: StructuredOutputMode[]): string {
  if (/unusable \d+ times in a row/.test(error.message)) {
    return oneLine(`no usable structured output (tried ${[...new Set(modesTried)].join(' → ')}): ${error.message}`);
  }
  return oneLine(error.message);
}

export async function probeModel(settings: LlmSettings, options: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const memory = settings.memory ?? new EndpointMemory();
  const calls: LlmCallRecord[] = [];
  // the probe is not a tool's: no call budget, and its calls are not a job's to record
  const gateway = createLlmGateway({ ...settings, memory, reserveCall: undefined }, async (call) => {
    calls.push(call);
  });
  const model = modelFor(settings, { context: PROBE_CONTEXT });
  let failure: ServiceError | undefined;
  try {
    await gateway.completeStructured({
      context: PROBE_CONTEXT,
      schemaName: 'tool_plan',
      schema: toolPlanSchema,
      ...PROBE_PROMPT,
      signal: options.signal,
    });
  } catch (error) {
    failure =
      error instanceof ServiceError
        ? error
        : new ServiceError('AI_SERVICE_ERROR', `The probe failed: ${(error as Error)?.message ?? String(error)}`);
  }
  const modesTried = calls.map((call) => call.request.structuredOutput);
  const sum = (field: 'prompt_tokens' | 'completion_tokens' | 'total_tokens') =>
    calls.reduce((total, call) => total + (call.usage?.[field] ?? 0), 0);
  return {
    usable: failure === undefined,
    endpoint: gateway.endpoint,
    model,
    setting: settings.structuredOutput ?? 'auto',
    structuredOutput: gateway.structuredOutputMode(model),
    modesTried,
    tokenLimitParameter: memory.tokenLimitParameter(gateway.endpoint),
    latencyMs: calls.reduce((total, call) => total + call.latencyMs, 0),
    calls: calls.length,
    usage: {
      prompt_tokens: sum('prompt_tokens'),
      completion_tokens: sum('completion_tokens'),
      total_tokens: sum('total_tokens'),
    },
    ...(failure ? { problem: describeFailure(failure, modesTried), code: failure.code } : {}),
  };
}
