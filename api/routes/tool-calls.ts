import { Router, type Response } from 'express';
import { requireExecutable, type ToolExecution, type ToolExecutor } from '../../executor/executor';
import { inFormat, toOpenAiFunction } from '../../executor/openai-functions';
import type { ToolDocument } from '../../store/documents';
import type { ToolStore } from '../../store/tools';
import {
  executeToolRequestSchema,
  functionCallRequestSchema,
  functionFormatQuerySchema,
  toolVersionQuerySchema,
  type FunctionCallResult,
  type OpenAiFunctionList,
  parseRequest,
} from '../../contract';
import { whileClientWaits } from '../client-gone';
import { tenantOf } from '../tenant';
import { createToolLookup } from '../tool-lookup';

export interface ToolCallDependencies {
  tools: ToolStore;
  executor: ToolExecutor;
}

/**
 * Running registered tools (by id, by name, and as the `/execute-tool` bridge of an OpenAI
 * function-calling loop) and offering them as OpenAI function definitions. Mounted at /api/v1.
 */
export function toolCallsRouter({ tools, executor }: ToolCallDependencies): Router {
  const router = Router();
  const lookup = createToolLookup(tools);

  async function answerExecution(res: Response, tool: ToolDocument, input: Record<string, unknown>): Promise<void> {
    const execution = await whileClientWaits(res, (signal) => executor.execute(tool, input, { signal }));
    if (execution) res.json(execution);
  }

  // Before "/tools/:toolId/…": "by-name" is never read as an id.
  router.post('/tools/by-name/:name/execute', async (req, res) => {
    const { version } = parseRequest(toolVersionQuerySchema, req.query);
    const { input } = parseRequest(executeToolRequestSchema, req.body);
    await answerExecution(res, await lookup.byName(tenantOf(res), req.params.name, version), input);
  });

  router.post('/tools/:toolId/execute', async (req, res) => {
    const { input } = parseRequest(executeToolRequestSchema, req.body);
    await answerExecution(res, await lookup.byId(tenantOf(res), req.params.toolId), input);
  });

  // A definition is for calling: a version that may not run has none.
  router.get('/tools/:toolId/openai', async (req, res) => {
    const { format } = parseRequest(functionFormatQuerySchema, req.query);
    const tool = requireExecutable(await lookup.byId(tenantOf(res), req.params.toolId));
    res.json(inFormat(toOpenAiFunction(tool), format));
  });

  router.get('/openai/functions', async (req, res) => {
    const { format } = parseRequest(functionFormatQuerySchema, req.query);
    const registered = await tools.newestRegistered(tenantOf(res));
    res.json({
      functions: registered.map((tool) => inFormat(toOpenAiFunction(tool), format)),
    } satisfies OpenAiFunctionList);
  });

  /** The seed's bridge: a model's function_call in, what goes back as its function_call_output out. */
  router.post('/execute-tool', async (req, res) => {
    const call = parseRequest(functionCallRequestSchema, req.body);
    const tool = await lookup.byName(tenantOf(res), call.tool_name);
    const execution = await whileClientWaits(res, (signal) =>
      executor.execute(tool, call.arguments, { signal, inputName: 'arguments' }),
    );
    if (execution) {
      res.json({ call_id: call.call_id ?? null, result: functionCallOutput(execution) } satisfies FunctionCallResult);
    }
  });

  return router;
}

/** A failure goes back to the model as data it can read and react to, not as an HTTP error. */
function functionCallOutput(execution: ToolExecution): unknown {
  return execution.success ? execution.output : { error: execution.error };
}
