import type { ToolView } from '../contract';
import type { McpToolSource, McpToolSpec } from '../executor/mcp-server';
import { CliError, type ToolsmithApi } from './api-client';

/** Tool details fetched at once while listing: enough to be quick, few enough not to flood the API. */
const DETAIL_REQUESTS_AT_ONCE = 8;

function toSpec(tool: ToolView): McpToolSpec {
  return {
    toolId: tool.toolId,
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
  };
}

/** Answers the API gives for a name it has no registered tool of (unknown, or not a tool name at all). */
const isNoSuchTool = (error: unknown) =>
  error instanceof CliError && (error.code === 'TOOL_NOT_FOUND' || error.code === 'INVALID_REQUEST');

/**
 * The tools of a Toolsmith service reached over its HTTP API, for `npx toolsmith mcp`: the names
 * from /openai/functions (the newest registered version of each), each one's schemas from
 * /tools/by-name/{name}; a call runs that exact version by id.
 */
export function remoteToolSource(api: ToolsmithApi): McpToolSource {
  async function findTool(name: string, signal: AbortSignal): Promise<McpToolSpec | null> {
    try {
      return toSpec(await api.getToolByName(name, signal));
    } catch (error) {
      if (isNoSuchTool(error)) return null;
      throw error;
    }
  }

  return {
    async listTools(signal) {
      const { functions } = await api.listFunctions(signal);
      const names = functions.map((definition) => ('function' in definition ? definition.function : definition).name);
      const found: (McpToolSpec | null)[] = [];
      for (let start = 0; start < names.length; start += DETAIL_REQUESTS_AT_ONCE) {
        const batch = names.slice(start, start + DETAIL_REQUESTS_AT_ONCE);
        found.push(...(await Promise.all(batch.map((name) => findTool(name, signal)))));
      }
      // A tool deprecated between the two requests is simply not listed.
      return found.filter((tool) => tool !== null);
    },
    findTool,
    runTool(tool, args, signal) {
      return api.executeTool(tool.toolId, args, signal);
    },
  };
}
