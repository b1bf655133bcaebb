import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat-completions server that answers from a script, so the real `openai`
 * client and our real parsing run in tests without a model. The only test double in the suite.
 */

export interface ModelCall {
  index: number;
  schemaName: string | null;
  model: string;
  messages: { role: string; content: string }[];
  authorization: string | undefined;
  /** the client went away before the reply was sent (e.g. the activity was cancelled) */
  abortedAt: number | null;
}

export type ModelReply =
  | { json: unknown; delayMs?: number }
  | { content: string; delayMs?: number }
  | { status: number; error: string; headers?: Record<string, string>; delayMs?: number };

export type ModelScript = (call: ModelCall) => ModelReply | Promise<ModelReply>;

export interface ScriptedModel {
  baseUrl: string;
  calls: ModelCall[];
  setScript(script: ModelScript): void;
  close(): Promise<void>;
}

/** the usage every answered call reports, so tests know what each call costs */
export const TOKENS_PER_CALL = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function completion(model: string, content: string) {
  return {
    id: `chatcmpl-scripted-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null },
    ],
    usage: TOKENS_PER_CALL,
  };
}

export async function startScriptedModel(initialScript: ModelScript, port = 0): Promise<ScriptedModel> {
  let script = initialScript;
  const calls: ModelCall[] = [];

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return send(404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    const request = JSON.parse(await readBody(req)) as {
      model: string;
      messages: ModelCall['messages'];
      response_format?: { json_schema?: { name?: string } };
    };
    const call: ModelCall = {
      index: calls.length,
      schemaName: request.response_format?.json_schema?.name ?? null,
      model: request.model,
      messages: request.messages,
      authorization: req.headers.authorization,
      abortedAt: null,
    };
    calls.push(call);
    res.on('close', () => {
      if (!res.writableFinished) call.abortedAt = Date.now();
    });
    try {
      const reply = await script(call);
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if ('status' in reply) {
        return send(
          reply.status,
          { error: { message: reply.error, type: 'scripted_error', code: null } },
          reply.headers,
        );
      }
      const content = 'json' in reply ? JSON.stringify(reply.json) : reply.content;
      return send(200, completion(request.model, content));
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
