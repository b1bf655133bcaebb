import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { schemaNameIn } from '../llm/structured-output';

/**
 * An OpenAI-compatible chat-completions server that answers from a script, so the real `openai`
 * client and our real parsing run in tests without a model. The only test double in the suite.
 *
 * It has the habits of real endpoints, chosen per call by the script's reply (prose around the
 * JSON, a reply cut at the token limit, a refusal, reasoning without content, Groq's
 * json_validate_failed) or for the whole server by its options (DeepSeek's refusal of
 * `response_format`, an endpoint that ignores `response_format`, one that wants `max_tokens`, a
 * key it requires, the models it serves).
 */

export interface ModelCall {
  index: number;
  /** the json_schema's name, else the one the system prompt asks for (llm/structured-output.ts's instruction) */
  schemaName: string | null;
  model: string;
  messages: { role: string; content: string }[];
  authorization: string | undefined;
  /** the request's response_format as sent (null: none, i.e. prompt mode) */
  responseFormat: { type: string; json_schema?: { name?: string; strict?: boolean; schema?: unknown } } | null;
  maxTokens: number | null;
  maxCompletionTokens: number | null;
  /** every other field of the request body (LLM_EXTRA_BODY's, e.g.) */
  extraBody: Record<string, unknown>;
  /** the client went away before the reply was sent (e.g. the activity was cancelled) */
  abortedAt: number | null;
}

type Delay = { delayMs?: number };

export type ModelReply =
  | ({ json: unknown } & Delay)
  /** content as given; finishReason "length": cut at the token limit */
  | ({ content: string; finishReason?: 'stop' | 'length' | 'content_filter' } & Delay)
  /** the JSON in prose: in a ```json fence (default), or inline in a sentence */
  | ({ prose: unknown; fence?: boolean } & Delay)
  /** OpenAI's refusal field, with no content */
  | ({ refusal: string } & Delay)
  /** a reasoning model that put everything in reasoning_content (content empty unless given) */
  | ({ reasoning: string; content?: string } & Delay)
  /** an error answer: `{ error: { message, type, code, ...fields } }` */
  | ({
      status: number;
      error: string;
      type?: string;
      code?: string | null;
      param?: string | null;
      fields?: Record<string, unknown>;
      headers?: Record<string, string>;
    } & Delay);

export type ModelScript = (call: ModelCall) => ModelReply | Promise<ModelReply>;

/** Habits of the whole server, answered before the script is asked. */
export interface ScriptedModelOptions {
  /** answers these response_format types with DeepSeek's 400 ("This response_format type is unavailable now") */
  refuseResponseFormats?: ('json_schema' | 'json_object')[];
  /** ignores response_format: every `json` reply comes in prose, in a ```json fence */
  ignoreResponseFormat?: boolean;
  /** answers a request with max_completion_tokens with a 400 naming it (servers that want max_tokens) */
  refuseMaxCompletionTokens?: boolean;
  /** the bearer key it requires (others: 401) */
  apiKey?: string;
  /** the models it serves (others: 404 model_not_found); unset: any */
  models?: string[];
}

export interface ScriptedModel {
  baseUrl: string;
  calls: ModelCall[];
  setScript(script: ModelScript): void;
  setOptions(options: ScriptedModelOptions): void;
  close(): Promise<void>;
}

/** the usage every answered call reports, so tests know what each call costs */
export const TOKENS_PER_CALL = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 };

/** Replies (and error answers) as real endpoints give them, for scripts. */
export const habits = {
  /** DeepSeek's answer to a response_format type it does not serve */
  deepSeekRefusesResponseFormat: (): ModelReply => ({
    status: 400,
    error: 'This response_format type is unavailable now',
    type: 'invalid_request_error',
  }),
  /** Groq's retryable 400 when the model's output did not validate as the requested JSON */
  groqJsonValidateFailed: (failedGeneration?: string): ModelReply => ({
    status: 400,
    error: "Failed to generate JSON. Please adjust your prompt. See 'failed_generation' for more details.",
    type: 'invalid_request_error',
    code: 'json_validate_failed',
    fields: failedGeneration === undefined ? {} : { failed_generation: failedGeneration },
  }),
  /** the JSON cut short, finish_reason "length" */
  cutAtTokenLimit: (json: unknown): ModelReply => {
    const text = JSON.stringify(json);
    return { content: text.slice(0, Math.max(1, Math.floor(text.length / 2))), finishReason: 'length' };
  },
  /** OpenRouter's 404 when no provider serves the model */
  openRouterNoEndpoints: (model: string): ModelReply => ({
    status: 404,
    error: `No endpoints found for ${model}.`,
    code: null,
  }),
  /** OpenAI's 404 for a model it does not have */
  modelNotFound: (model: string): ModelReply => ({
    status: 404,
    error: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
  }),
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface Answer {
  content: string | null;
  finishReason: string;
  refusal?: string;
  reasoning?: string;
}

function completion(model: string, answer: Answer) {
  return {
    id: `chatcmpl-scripted-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          refusal: answer.refusal ?? null,
          ...(answer.reasoning === undefined ? {} : { reasoning_content: answer.reasoning }),
        },
        finish_reason: answer.finishReason,
        logprobs: null,
      },
    ],
    usage: TOKENS_PER_CALL,
  };
}

function inProse(json: unknown, fence = true): string {
  const text = JSON.stringify(json, null, 2);
  return fence
    ? `Sure! Here is the JSON you asked for:\n\n\`\`\`json\n${text}\n\`\`\`\n\nLet me know if you need anything else.`
    : `Here it is: ${JSON.stringify(json)} (as requested).`;
}

function answerOf(reply: Exclude<ModelReply, { status: number }>, options: ScriptedModelOptions): Answer {
  if ('json' in reply) {
    const content = options.ignoreResponseFormat ? inProse(reply.json) : JSON.stringify(reply.json);
    return { content, finishReason: 'stop' };
  }
  if ('prose' in reply) return { content: inProse(reply.prose, reply.fence ?? true), finishReason: 'stop' };
  if ('refusal' in reply) return { content: null, refusal: reply.refusal, finishReason: 'stop' };
  if ('reasoning' in reply) return { content: reply.content ?? '', reasoning: reply.reasoning, finishReason: 'stop' };
  return { content: reply.content, finishReason: reply.finishReason ?? 'stop' };
}

type RequestBody = {
  model: string;
  messages: ModelCall['messages'];
  response_format?: ModelCall['responseFormat'];
  max_tokens?: number;
  max_completion_tokens?: number;
  [field: string]: unknown;
};

function callOf(index: number, request: RequestBody, authorization: string | undefined): ModelCall {
  const {
    model,
    messages,
    response_format: responseFormat,
    max_tokens: maxTokens,
    max_completion_tokens: maxCompletionTokens,
    ...extraBody
  } = request;
  const system = messages.find((message) => message.role === 'system')?.content ?? '';
  return {
    index,
    schemaName: responseFormat?.json_schema?.name ?? schemaNameIn(system),
    model,
    messages,
    authorization,
    responseFormat: responseFormat ?? null,
    maxTokens: maxTokens ?? null,
    maxCompletionTokens: maxCompletionTokens ?? null,
    extraBody,
    abortedAt: null,
  };
}

/** The server's own habits: an error answer for the call, or null to let the script answer. */
function serverHabit(call: ModelCall, options: ScriptedModelOptions): Extract<ModelReply, { status: number }> | null {
  if (options.apiKey !== undefined && call.authorization !== `Bearer ${options.apiKey}`) {
    return {
      status: 401,
      error: 'Incorrect API key provided.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    };
  }
  if (options.models && !options.models.includes(call.model)) {
    return habits.modelNotFound(call.model) as Extract<ModelReply, { status: number }>;
  }
  const format = call.responseFormat?.type;
  if ((format === 'json_schema' || format === 'json_object') && options.refuseResponseFormats?.includes(format)) {
    return habits.deepSeekRefusesResponseFormat() as Extract<ModelReply, { status: number }>;
  }
  if (format === 'json_object' && !call.messages.some((message) => /json/i.test(message.content))) {
    // OpenAI's rule for JSON mode: the prompt must ask for JSON
    return {
      status: 400,
      error: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      type: 'invalid_request_error',
      param: 'messages',
    };
  }
  if (options.refuseMaxCompletionTokens && call.maxCompletionTokens !== null) {
    return {
      status: 400,
      error: 'Unrecognized request argument supplied: max_completion_tokens',
      type: 'invalid_request_error',
      param: 'max_completion_tokens',
    };
  }
  return null;
}

export async function startScriptedModel(
  initialScript: ModelScript,
  port = 0,
  initialOptions: ScriptedModelOptions = {},
): Promise<ScriptedModel> {
  let script = initialScript;
  let options = initialOptions;
  const calls: ModelCall[] = [];

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const sendError = (reply: Extract<ModelReply, { status: number }>) =>
      send(
        reply.status,
        {
          error: {
            message: reply.error,
            type: reply.type ?? 'scripted_error',
            code: reply.code ?? null,
            ...(reply.param === undefined ? {} : { param: reply.param }),
            ...reply.fields,
          },
        },
        reply.headers,
      );
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return send(404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    const request = JSON.parse(await readBody(req)) as RequestBody;
    const call = callOf(calls.length, request, req.headers.authorization);
    calls.push(call);
    res.on('close', () => {
      if (!res.writableFinished) call.abortedAt = Date.now();
    });
    const habit = serverHabit(call, options);
    if (habit) return sendError(habit);
    try {
      const reply = await script(call);
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if ('status' in reply) return sendError(reply);
      return send(200, completion(request.model, answerOf(reply, options)));
    } catch (error) {
      return send(500, { error: { message: `script failed: ${(error as Error).message}`, type: 'server_error' } });
    }
  });

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${boundPort}/v1`,
    calls,
    setScript(next) {
      script = next;
    },
    setOptions(next) {
      options = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
