import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type CallToolResult,
  type Tool as McpTool,
} from '@modelcontextprotocol/server';
import type { ToolExecution } from './executor';
import { asObjectSchema } from './json-schema';

/** A registered tool as MCP offers it: the newest registered version of its name. */
export interface McpToolSpec {
  toolId: string;
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
}

export type ToolRunAnswer = Pick<ToolExecution, 'success' | 'output' | 'error'>;

/**
 * Where the tools come from and how they run: the store and the executor in the API process
 * (`/mcp`), or the HTTP API from `npx toolsmith mcp` (stdio). A failure it cannot answer as a
 * ToolRunAnswer it throws with the service's error `code` (INVALID_REQUEST for arguments that
 * break the input schema, TOOL_NOT_FOUND / TOOL_NOT_EXECUTABLE for a tool gone since it was found).
 */
export interface McpToolSource<Tool extends McpToolSpec = McpToolSpec> {
  listTools(signal: AbortSignal): Promise<McpToolSpec[]>;
  /** the newest registered version of the name, or null */
  findTool(name: string, signal: AbortSignal): Promise<Tool | null>;
  runTool(tool: Tool, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolRunAnswer>;
}

export const MCP_SERVER_NAME = 'toolsmith';

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

const unknownTool = (name: string) =>
  new ProtocolError(ProtocolErrorCode.InvalidParams, `There is no registered tool named "${name}".`);

/**
 * The output schema as registered (without `$schema`). MCP's 2025 revisions want an object root,
 * so structuredContent is an object; the 2026-07-28 revision allows any root. The SDK's era codec
 * bridges the two: for a 2025-era client it wraps a non-object schema as
 * `{ type: "object", properties: { result: <schema> }, required: ["result"] }` and the value as
 * `{ result: <value> }` (via projectCallToolResult below); a 2026 client gets both as they are.
 */
function toMcpTool(tool: McpToolSpec): McpTool {
  const { $schema: _dialect, ...outputSchema } = tool.outputSchema;
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: asObjectSchema(tool.inputSchema) as McpTool['inputSchema'],
    outputSchema,
  };
}

function toCallResult(answer: ToolRunAnswer): CallToolResult {
  if (!answer.success) {
    return { content: [{ type: 'text', text: answer.error ?? 'the tool failed without saying why' }], isError: true };
  }
  // The same JSON as text, for clients (and models) that read only the content blocks.
  return { content: [{ type: 'text', text: JSON.stringify(answer.output) }], structuredContent: answer.output };
}

/**
 * The registered tools as an MCP server (low-level handlers: the tools and their JSON Schemas
 * come from the registry at each request, so tools/list follows registration and deprecation).
 * A tool that raises, hits a sandbox limit or gets arguments its schema refuses is an `isError`
 * result the model can read; an unknown tool is a protocol error.
 */
export function createToolsmithMcpServer<Tool extends McpToolSpec>(source: McpToolSource<Tool>, version: string) {
  const server = new Server(
    { name: MCP_SERVER_NAME, version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: 'Tested Python tools generated and registered by Toolsmith; each call runs in a sandbox.',
    },
  );

  server.setRequestHandler('tools/list', async (_request, ctx) => ({
    tools: (await source.listTools(ctx.mcpReq.signal)).map(toMcpTool),
  }));

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args = {} } = request.params;
    const tool = await source.findTool(name, ctx.mcpReq.signal);
    if (!tool) throw unknownTool(name);
    let answer: ToolRunAnswer;
    try {
      answer = await source.runTool(tool, args, ctx.mcpReq.signal);
    } catch (error) {
      const code = codeOf(error);
      if (code === 'INVALID_REQUEST') answer = { success: false, output: null, error: (error as Error).message };
      else if (code === 'TOOL_NOT_FOUND' || code === 'TOOL_NOT_EXECUTABLE') throw unknownTool(name);
      else throw error;
    }
    return server.projectCallToolResult(toCallResult(answer), toMcpTool(tool).outputSchema);
  });

  return server;
}
