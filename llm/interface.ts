import type OpenAI from 'openai';
import type { z } from 'zod';
import type { StructuredOutputSetting } from '../config';
import type { EndpointHabitChange, EndpointMemory } from './endpoint-memory';
import type { StructuredOutputMode } from './structured-output';

/** What the gateway is given, what a call carries and records, and which model it asks. */

export interface LlmSettings {
  /** unset with a baseUrl: a placeholder is sent (local servers without keys) */
  apiKey?: string;
  baseUrl?: string;
  /** the default model (OPENAI_MODEL) */
  model: string;
  /** the plan stage's model (OPENAI_PLAN_MODEL), and the implement and repair stages' (OPENAI_IMPLEMENT_MODEL) */
  planModel?: string;
  implementModel?: string;
  requestTimeoutMs: number;
  /** LLM_STRUCTURED_OUTPUT; default auto */
  structuredOutput?: StructuredOutputSetting;
  /** LLM_MAX_OUTPUT_TOKENS; default DEFAULT_LLM_MAX_OUTPUT_TOKENS */
  maxOutputTokens?: number;
  /** LLM_MAX_CALLS_PER_TOOL; default DEFAULT_LLM_MAX_CALLS_PER_TOOL (enforced only with reserveCall) */
  maxCallsPerTool?: number;
  /** LLM_EXTRA_BODY: merged into every request body */
  extraBody?: Record<string, unknown>;
  /**
   * Called before every HTTP call made for a tool (a context with a requirementIndex): counts the
   * call and answers how many the tool has made, this one included. Over maxCallsPerTool, the call
   * is not made and the tool fails with MODEL_CALL_BUDGET_EXCEEDED.
   */
  reserveCall?: (context: LlmCallContext) => Promise<number>;
  /** what the gateway learnt about an endpoint (a fallback of `auto`, max_tokens), once each */
  onModeChange?: (change: EndpointHabitChange) => void;
  /** what works per endpoint, shared by the gateways of a process (the worker's and its probe's) */
  memory?: EndpointMemory;
}

export interface LlmCallContext {
  jobId: string;
  /** the workflow run the call is made for: a tool's cost is its calls in the run that made it */
  runId: string | null;
  requirementIndex: number | null;
  /** 'plan', 'implement', 'repair', …: picks OPENAI_PLAN_MODEL / OPENAI_IMPLEMENT_MODEL */
  step: string;
}

export interface LlmCallRecord extends LlmCallContext {
  /** the model this call asked */
  model: string;
  request: {
    messages: OpenAI.ChatCompletionMessageParam[];
    schemaName: string;
    structuredOutput: StructuredOutputMode;
    maxOutputTokens: number;
  };
  response: unknown;
  error: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  latencyMs: number;
}

export interface StructuredRequest<S extends z.ZodType> {
  context: LlmCallContext;
  /** the job's options.model: asked instead of the stage's or the default model */
  model?: string;
  schemaName: string;
  schema: S;
  system: string;
  user: string;
  /** checks beyond the schema (e.g. "dependencies must be installed"); a returned sentence is fed back like a parse error */
  check?: (value: z.output<S>) => string | null;
  /** aborts the HTTP request, e.g. when Temporal cancels the activity */
  signal?: AbortSignal;
}

export interface StructuredReply<T> {
  value: T;
  totalTokens: number;
  /** the model that answered */
  model: string;
}

export type LlmCallRecorder = (call: LlmCallRecord) => Promise<void>;

export interface LlmGateway {
  completeStructured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredReply<z.output<S>>>;
  /** the mode the next call for this model uses (what `auto` has found so far) */
  structuredOutputMode(model: string): StructuredOutputMode;
  /** the endpoint's base URL, as the memory keys it */
  readonly endpoint: string;
}

/** the key sent to an endpoint named by OPENAI_BASE_URL when OPENAI_API_KEY is unset */
export const PLACEHOLDER_API_KEY = 'not-needed';

/** The model a request asks: the job's own, else its stage's, else the default (OPENAI_MODEL). */
export function modelFor(
  settings: Pick<LlmSettings, 'model' | 'planModel' | 'implementModel'>,
  request: Pick<StructuredRequest<z.ZodType>, 'model' | 'context'>,
): string {
  if (request.model) return request.model;
  const step = request.context.step;
  const stageModel =
    step === 'plan'
      ? settings.planModel
      : step === 'implement' || step === 'repair'
        ? settings.implementModel
        : undefined;
  return stageModel ?? settings.model;
}
