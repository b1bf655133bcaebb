import OpenAI from 'openai';
import { z } from 'zod';
import {
  MODEL_CALL_BUDGET_EXCEEDED,
  MODEL_EMPTY_REPLY,
  MODEL_OUTPUT_TRUNCATED,
  MODEL_REFUSED,
  ServiceError,
} from '../contract';
import { DEFAULT_LLM_MAX_CALLS_PER_TOOL, DEFAULT_LLM_MAX_OUTPUT_TOKENS } from '../config';
import { EndpointMemory, endpointOf, type TokenLimitParameter } from './endpoint-memory';
import {
  classifyModelError,
  jsonValidateFailure,
  lastReplyDetails,
  refusesParameter,
  refusesResponseFormat,
  refusesTokenLimit,
  type ModelCallSettings,
} from './errors';
import {
  modelFor,
  PLACEHOLDER_API_KEY,
  type LlmCallContext,
  type LlmCallRecord,
  type LlmCallRecorder,
  type LlmGateway,
  type LlmSettings,
  type StructuredReply,
  type StructuredRequest,
} from './interface';
import { MAX_REPLY_CORRECTIONS } from './limits';
import {
  NEXT_MODE,
  parseStructuredContent,
  replyJsonSchema,
  responseFormatFor,
  schemaInstruction,
  type StructuredOutputMode,
} from './structured-output';

export { MAX_REPLY_CORRECTIONS, maxGatewayCallMs } from './limits';
export { parseStructuredContent, type StructuredOutputMode } from './structured-output';
export { EndpointMemory, type EndpointHabitChange } from './endpoint-memory';
export {
  modelFor,
  PLACEHOLDER_API_KEY,
  type LlmCallContext,
  type LlmCallRecord,
  type LlmCallRecorder,
  type LlmGateway,
  type LlmSettings,
  type StructuredReply,
  type StructuredRequest,
} from './interface';

/** What a refusal (or the content filter) leaves the user to do: asking again would be refused again. */
const REFUSAL_ADVICE =
  "Asking again gets the same answer: rephrase the requirement, or ask another model (the job's options.model, or OPENAI_MODEL).";

/** Asked again after a reply with reasoning but no content. */
const CONTENT_REMINDER =
  '\n\nPut the JSON object itself in the reply: your previous reply had reasoning but no content.';

type Message = OpenAI.ChatCompletionMessageParam;
type Usage = LlmCallRecord['usage'];

function usageOf(completion: OpenAI.ChatCompletion): Usage {
  if (!completion.usage) return null;
  const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
  return { prompt_tokens, completion_tokens, total_tokens };
}

/** Reasoning models' thoughts, under the names servers use for them (DeepSeek, vLLM, OpenRouter, Ollama). */
function reasoningOf(message: OpenAI.ChatCompletionMessage | undefined): string {
  const fields = message as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
  const reasoning = fields?.reasoning_content ?? fields?.reasoning;
  return typeof reasoning === 'string' ? reasoning : '';
}

/** What one HTTP call came back with, as the loop below needs it. */
type CallOutcome =
  | {
      kind: 'answered';
      content: string;
      reasoning: string;
      refusal: string | null;
      finishReason: string | null;
      usage: Usage;
      record(problem: string | null): Promise<void>;
    }
  /** Groq's json_validate_failed: what the model generated (if returned), and the problem */
  | { kind: 'invalid_json'; content: string; problem: string; record(problem: string): Promise<void> }
  | { kind: 'refused_format' }
  | { kind: 'refused_token_parameter' };

/**
 * The one way to the model. The client's own retries are off: Temporal retries the activity,
 * with backoff and visibly in the history. Every HTTP call, failed or not, is recorded.
 *
 * One call of completeStructured asks until the reply is usable: it falls back through the
 * structured-output modes the endpoint refuses (LLM_STRUCTURED_OUTPUT=auto), asks once more with
 * twice the token limit after a cut reply, once more after a reply that is all reasoning, and up
 * to MAX_REPLY_CORRECTIONS times with the problem of an unusable reply fed back.
 */
export function createLlmGateway(settings: LlmSettings, recordCall: LlmCallRecorder): LlmGateway {
  const endpoint = endpointOf(settings.baseUrl);
  const memory = settings.memory ?? new EndpointMemory();
  const setting = settings.structuredOutput ?? 'auto';
  const maxOutputTokens = settings.maxOutputTokens ?? DEFAULT_LLM_MAX_OUTPUT_TOKENS;
  const maxCallsPerTool = settings.maxCallsPerTool ?? DEFAULT_LLM_MAX_CALLS_PER_TOOL;
  const apiKey = settings.apiKey ?? (settings.baseUrl ? PLACEHOLDER_API_KEY : undefined);
  const client = apiKey
    ? new OpenAI({ apiKey, baseURL: settings.baseUrl, maxRetries: 0, timeout: settings.requestTimeoutMs })
    : undefined;

  const modeOf = (model: string): StructuredOutputMode =>
    setting === 'auto' ? (memory.structuredOutput(endpoint, model) ?? 'json_schema') : setting;

  function learnMode(model: string, from: StructuredOutputMode, to: StructuredOutputMode, reason: string): void {
    if (memory.rememberStructuredOutput(endpoint, model, to)) {
      settings.onModeChange?.({ endpoint, model, habit: 'structured output', from, to, reason });
    }
  }

  function learnTokenParameter(model: string, to: TokenLimitParameter, reason: string): void {
    const from = memory.tokenLimitParameter(endpoint);
    if (memory.rememberTokenLimitParameter(endpoint, to)) {
      settings.onModeChange?.({ endpoint, model, habit: 'token limit parameter', from, to, reason });
    }
  }

  async function reserve(context: LlmCallContext): Promise<void> {
    if (!settings.reserveCall || context.requirementIndex === null) return;
    const made = await settings.reserveCall(context);
    if (made > maxCallsPerTool) {
      throw new ServiceError(
        MODEL_CALL_BUDGET_EXCEEDED,
        `This tool has made its ${maxCallsPerTool} model calls in this run, retries and re-asks included, so no more are made: raise LLM_MAX_CALLS_PER_TOOL if it needs more.`,
        { retryable: false },
      );
    }
  }

  const callSettings = (model: string): ModelCallSettings => ({
    model,
    endpoint,
    requestTimeoutMs: settings.requestTimeoutMs,
  });

  /** One HTTP call, recorded (failures at once; a reply once its problem, if any, is known). */
  async function callOnce(
    request: StructuredRequest<z.ZodType>,
    call: {
      model: string;
      mode: StructuredOutputMode;
      messages: Message[];
      maxTokens: number;
      jsonSchema: Record<string, unknown>;
    },
  ): Promise<CallOutcome> {
    await reserve(request.context);
    const tokenParameter = memory.tokenLimitParameter(endpoint);
    const started = Date.now();
    const record = (fields: Pick<LlmCallRecord, 'response' | 'error' | 'usage'>) =>
      recordCall({
        ...request.context,
        model: call.model,
        request: {
          messages: call.messages,
          schemaName: request.schemaName,
          structuredOutput: call.mode,
          maxOutputTokens: call.maxTokens,
        },
        latencyMs: Date.now() - started,
        ...fields,
      });
    const responseFormat = responseFormatFor(call.mode, request.schemaName, call.jsonSchema);
    const body = {
      ...settings.extraBody,
      model: call.model,
      messages: call.messages,
      ...(responseFormat ? { response_format: responseFormat } : {}),
      [tokenParameter]: call.maxTokens,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await client!.chat.completions.create(body, { signal: request.signal });
    } catch (error) {
      const invalid = jsonValidateFailure(error);
      if (invalid) {
        const problem = `the endpoint could not validate the reply as the requested JSON (json_validate_failed): ${invalid.message}`;
        return {
          kind: 'invalid_json',
          content: invalid.failedGeneration ?? '',
          problem,
          record: (recorded) => record({ response: invalid.failedGeneration, error: recorded, usage: null }),
        };
      }
      const classified = classifyModelError(error, callSettings(call.model));
      await record({ response: null, error: classified.message, usage: null });
      if (setting === 'auto' && NEXT_MODE[call.mode] && refusesResponseFormat(error)) return { kind: 'refused_format' };
      if (tokenParameter === 'max_completion_tokens' && refusesParameter(error, 'max_completion_tokens')) {
        return { kind: 'refused_token_parameter' };
      }
      throw classified;
    }
    const choice = completion.choices[0];
    const content = choice?.message?.content ?? '';
    const usage = usageOf(completion);
    return {
      kind: 'answered',
      content,
      reasoning: reasoningOf(choice?.message),
      refusal: choice?.message?.refusal ?? null,
      finishReason: choice?.finish_reason ?? null,
      usage,
      record: (problem) => record({ response: content, error: problem, usage }),
    };
  }

  return {
    endpoint,
    structuredOutputMode: modeOf,
    async completeStructured<S extends z.ZodType>(
      request: StructuredRequest<S>,
    ): Promise<StructuredReply<z.output<S>>> {
      if (!client) {
        throw new ServiceError(
          'AI_SERVICE_ERROR',
          'OPENAI_API_KEY is not set: set it in the worker environment (or OPENAI_BASE_URL for an OpenAI-compatible endpoint that needs no key) and retry the job.',
          { retryable: false },
        );
      }
      const model = modelFor(settings, request);
      const jsonSchema = replyJsonSchema(request.schema);
      const instruction = schemaInstruction(request.schemaName, jsonSchema);
      /** the conversation after the system message: the requirement, then each unusable reply and its problem */
      const conversation: Message[] = [{ role: 'user', content: request.user }];
      let corrections = 0;
      let maxTokens = maxOutputTokens;
      let truncationAsked = false;
      let emptyAsked = false;
      let totalTokens = 0;
      for (;;) {
        const mode = modeOf(model);
        // The endpoint holds the model to the schema only in json_schema mode, and a re-ask needs it spelt out anyway.
        const schemaInPrompt = mode !== 'json_schema' || corrections > 0 || emptyAsked;
        const system = `${request.system}${schemaInPrompt ? instruction : ''}${emptyAsked ? CONTENT_REMINDER : ''}`;
        const messages: Message[] = [{ role: 'system', content: system }, ...conversation];
        let outcome: CallOutcome;
        try {
          outcome = await callOnce(request, { model, mode, messages, maxTokens, jsonSchema });
        } catch (error) {
          // A larger limit the endpoint refuses: the reply cannot get longer than the one that was cut.
          if (truncationAsked && error instanceof ServiceError && refusesTokenLimit(error.cause)) {
            throw truncated(request.schemaName, maxTokens / 2, '', error.message);
          }
          throw error;
        }
        if (outcome.kind === 'refused_format') {
          learnMode(model, mode, NEXT_MODE[mode]!, `the endpoint refused response_format ${mode}`);
          continue;
        }
        if (outcome.kind === 'refused_token_parameter') {
          learnTokenParameter(model, 'max_tokens', 'the endpoint refused max_completion_tokens');
          continue;
        }

        let content: string;
        let problem: string | null;
        if (outcome.kind === 'invalid_json') {
          content = outcome.content;
          problem = outcome.problem;
          await outcome.record(problem);
        } else {
          totalTokens += outcome.usage?.total_tokens ?? 0;
          content = outcome.content;
          if (outcome.refusal) {
            await outcome.record(`refused: ${outcome.refusal}`);
            throw new ServiceError(
              MODEL_REFUSED,
              `The model refused the ${request.schemaName} request: ${outcome.refusal} ${REFUSAL_ADVICE}`,
              {
                retryable: false,
                details: lastReplyDetails(outcome.refusal),
              },
            );
          }
          if (outcome.finishReason === 'content_filter') {
            await outcome.record('stopped by the content filter');
            throw new ServiceError(
              MODEL_REFUSED,
              `The endpoint's content filter stopped the model's ${request.schemaName} reply (finish_reason "content_filter"). ${REFUSAL_ADVICE}`,
              { retryable: false, details: lastReplyDetails(content) },
            );
          }
          if (outcome.finishReason === 'length') {
            await outcome.record(`cut at ${maxTokens} tokens`);
            if (truncationAsked) throw truncated(request.schemaName, maxTokens, content);
            truncationAsked = true;
            maxTokens *= 2;
            continue;
          }
          if (content.trim() === '' && outcome.reasoning.trim() !== '') {
            await outcome.record('reasoning but no content');
            if (emptyAsked) {
              throw new ServiceError(
                MODEL_EMPTY_REPLY,
                `The model's ${request.schemaName} reply had reasoning but no content, twice: it did not put the JSON in its reply (a reasoning model may need a larger LLM_MAX_OUTPUT_TOKENS, or another model).`,
                { retryable: false, details: lastReplyDetails(outcome.reasoning) },
              );
            }
            emptyAsked = true;
            continue;
          }
          const parsed = parseStructuredContent(content, request.schema);
          if (parsed.source !== 'plain' && content.trim() !== '' && mode === 'json_schema' && setting === 'auto') {
            // The endpoint took json_schema but did not hold the model to it: say the schema in the prompt from now on.
            const found = parsed.source ? `the JSON came in ${parsed.source}` : 'the reply was not JSON';
            learnMode(model, mode, 'prompt', `the endpoint ignored response_format json_schema (${found})`);
          }
          problem = parsed.success ? (request.check?.(parsed.value) ?? null) : parsed.error;
          await outcome.record(problem);
          if (parsed.success && problem === null) return { value: parsed.value, totalTokens, model };
        }

        if (corrections === MAX_REPLY_CORRECTIONS) {
          throw new ServiceError(
            'AI_SERVICE_ERROR',
            `The model's ${request.schemaName} reply was unusable ${corrections + 1} times in a row; last problem: ${problem}`,
            { retryable: true, details: lastReplyDetails(content) },
          );
        }
        corrections += 1;
        // Feed the exact problem back, so the next reply fixes it rather than repeating it.
        // (an empty reply is not repeated: some endpoints refuse an assistant message without content)
        if (content.trim() !== '') conversation.push({ role: 'assistant', content });
        conversation.push({
          role: 'user',
          content: `That reply cannot be used: ${problem}\nReply again with the complete JSON object, corrected.`,
        });
      }
    },
  };
}

function truncated(schemaName: string, tokens: number, reply: string, refusal?: string): ServiceError {
  const refused = refusal ? ` A larger limit was refused: ${refusal}` : '';
  return new ServiceError(
    MODEL_OUTPUT_TRUNCATED,
    `The model's ${schemaName} reply was cut at ${tokens} tokens (finish_reason "length"), even when asked again: raise LLM_MAX_OUTPUT_TOKENS (the output-token limit of each call) if the model allows more.${refused}`,
    { retryable: false, details: lastReplyDetails(reply) },
  );
}
