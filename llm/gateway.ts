import OpenAI from 'openai';
import { z } from 'zod';
import { ServiceError } from '../contract';
import { classifyModelError } from './errors';

export interface LlmSettings {
  apiKey?: string;
  baseUrl?: string;
  model: string;
  requestTimeoutMs: number;
}

export interface LlmCallContext {
  jobId: string;
  /** the workflow run the call is made for: a tool's cost is its calls in the run that made it */
  runId: string | null;
  requirementIndex: number | null;
  step: string;
}

export interface LlmCallRecord extends LlmCallContext {
  model: string;
  request: { messages: OpenAI.ChatCompletionMessageParam[]; schemaName: string };
  response: unknown;
  error: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  latencyMs: number;
}

export interface StructuredRequest<S extends z.ZodType> {
  context: LlmCallContext;
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
}

export type LlmCallRecorder = (call: LlmCallRecord) => Promise<void>;

export interface LlmGateway {
  completeStructured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredReply<z.output<S>>>;
}

/** How many times one call re-asks the model after an unusable reply, before leaving it to Temporal's retry. */
export const MAX_REPLY_CORRECTIONS = 2;

function responseFormatFor(schemaName: string, schema: z.ZodType): OpenAI.ResponseFormatJSONSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  return { type: 'json_schema', json_schema: { name: schemaName, strict: true, schema: jsonSchema } };
}

function usageOf(completion: OpenAI.ChatCompletion): LlmCallRecord['usage'] {
  if (!completion.usage) return null;
  const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
  return { prompt_tokens, completion_tokens, total_tokens };
}

/**
 * The one way to the model. The client's own retries are off: Temporal retries the activity,
 * with backoff and visibly in the history. Every call, failed or not, is recorded.
 */
export function createLlmGateway(settings: LlmSettings, recordCall: LlmCallRecorder): LlmGateway {
  const client = settings.apiKey
    ? new OpenAI({
        apiKey: settings.apiKey,
        baseURL: settings.baseUrl,
        maxRetries: 0,
        timeout: settings.requestTimeoutMs,
      })
    : undefined;

  /** One HTTP call; records it, with the problem found in the reply, if any. */
  async function callOnce(
    request: StructuredRequest<z.ZodType>,
    messages: OpenAI.ChatCompletionMessageParam[],
  ): Promise<{ content: string; usage: LlmCallRecord['usage']; recordOutcome(problem: string | null): Promise<void> }> {
    const started = Date.now();
    const sent = [...messages];
    const record = (fields: Pick<LlmCallRecord, 'response' | 'error' | 'usage'>) =>
      recordCall({
        ...request.context,
        model: settings.model,
        request: { messages: sent, schemaName: request.schemaName },
        latencyMs: Date.now() - started,
        ...fields,
      });
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await client!.chat.completions.create(
        {
          model: settings.model,
          messages: sent,
          response_format: responseFormatFor(request.schemaName, request.schema),
        },
        { signal: request.signal },
      );
    } catch (error) {
      const classified = classifyModelError(error, settings.model);
      await record({ response: null, error: classified.message, usage: null });
      throw classified;
    }
    const content = completion.choices[0]?.message?.content ?? '';
    const usage = usageOf(completion);
    return { content, usage, recordOutcome: (problem) => record({ response: content, error: problem, usage }) };
  }

  return {
    async completeStructured<S extends z.ZodType>(
      request: StructuredRequest<S>,
    ): Promise<StructuredReply<z.output<S>>> {
      if (!client) {
        throw new ServiceError(
          'AI_SERVICE_ERROR',
          'OPENAI_API_KEY is not set: set it in the worker environment (with OPENAI_BASE_URL for an OpenAI-compatible endpoint) and retry the job.',
          { retryable: false },
        );
      }
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: request.system },
        { role: 'user', content: request.user },
      ];
      let totalTokens = 0;
      for (let correction = 0; ; correction += 1) {
        const { content, usage, recordOutcome } = await callOnce(request, messages);
        totalTokens += usage?.total_tokens ?? 0;
        const parsed = parseStructuredContent(content, request.schema);
        const problem = parsed.success ? (request.check?.(parsed.value) ?? null) : parsed.error;
        await recordOutcome(problem);
        if (parsed.success && problem === null) return { value: parsed.value, totalTokens };
        if (correction === MAX_REPLY_CORRECTIONS) {
          throw new ServiceError(
            'AI_SERVICE_ERROR',
            `The model's ${request.schemaName} reply was unusable ${correction + 1} times in a row; last problem: ${problem}`,
            { retryable: true },
          );
        }
        // Feed the exact problem back, so the next reply fixes it rather than repeating it.
        messages.push(
          { role: 'assistant', content },
          {
            role: 'user',
            content: `That reply cannot be used: ${problem}\nReply again with the complete JSON object, corrected.`,
          },
        );
      }
    },
  };
}

type ParseOutcome<T> = { success: true; value: T } | { success: false; error: string };

export function parseStructuredContent<S extends z.ZodType>(content: string, schema: S): ParseOutcome<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    return { success: false, error: `the reply is not JSON (${(error as Error).message})` };
  }
  const result = schema.safeParse(json);
  return result.success
    ? { success: true, value: result.data }
    : { success: false, error: `the reply does not match the schema: ${z.prettifyError(result.error)}` };
}
