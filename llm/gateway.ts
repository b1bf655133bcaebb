import OpenAI from 'openai';
import { z } from 'zod';
import { ServiceError } from '../errors';
import { classifyModelError } from './errors';

export interface LlmSettings {
  apiKey?: string;
  baseUrl?: string;
  model: string;
  requestTimeoutMs: number;
}

export interface LlmCallContext {
  jobId: string;
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
}

export interface StructuredReply<T> {
  value: T;
  totalTokens: number;
}

export type LlmCallRecorder = (call: LlmCallRecord) => Promise<void>;

export interface LlmGateway {
  completeStructured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredReply<z.output<S>>>;
}

function responseFormatFor(schemaName: string, schema: z.ZodType): OpenAI.ResponseFormatJSONSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  return { type: 'json_schema', json_schema: { name: schemaName, strict: true, schema: jsonSchema } };
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
      const started = Date.now();
      const record = (fields: Pick<LlmCallRecord, 'response' | 'error' | 'usage'>) =>
        recordCall({
          ...request.context,
          model: settings.model,
          request: { messages, schemaName: request.schemaName },
          latencyMs: Date.now() - started,
          ...fields,
        });

      let completion: OpenAI.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model: settings.model,
          messages,
          response_format: responseFormatFor(request.schemaName, request.schema),
        });
      } catch (error) {
        const classified = classifyModelError(error, settings.model);
        await record({ response: null, error: classified.message, usage: null });
        throw classified;
      }

      const usage = completion.usage
        ? {
            prompt_tokens: completion.usage.prompt_tokens,
            completion_tokens: completion.usage.completion_tokens,
            total_tokens: completion.usage.total_tokens,
          }
        : null;
      const content = completion.choices[0]?.message?.content ?? '';
      const parsed = parseStructuredContent(content, request.schema);
      await record({ response: content, error: parsed.success ? null : parsed.error, usage });
      if (!parsed.success) {
        throw new ServiceError(
          'AI_SERVICE_ERROR',
          `The model's ${request.schemaName} reply did not parse: ${parsed.error}`,
          {
            retryable: true,
          },
        );
      }
      return { value: parsed.value, totalTokens: usage?.total_tokens ?? 0 };
    },
  };
}

type ParseOutcome<T> = { success: true; value: T } | { success: false; error: string };

export function parseStructuredContent<S extends z.ZodType>(content: string, schema: S): ParseOutcome<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    return { success: false, error: `not JSON (${(error as Error).message})` };
  }
  const result = schema.safeParse(json);
  return result.success
    ? { success: true, value: result.data }
    : { success: false, error: z.prettifyError(result.error) };
}
