import type { ToolDocument } from '../store/documents';
import type { ToolStore } from '../store/tools';
import type { ToolExecutor } from './executor';
import type { McpToolSource, McpToolSpec } from './mcp-server';

interface DirectTool extends McpToolSpec {
  document: ToolDocument;
}

function toSpec(tool: ToolDocument): DirectTool {
  return {
    toolId: tool._id.toHexString(),
    name: tool.name,
    description: tool.description,
    inputSchema: tool.input_schema,
    outputSchema: tool.output_schema,
    document: tool,
  };
}

/** A tenant's registered tools, read from the store and run by the executor in this process. */
export function directToolSource(dependencies: {
  tools: ToolStore;
  executor: ToolExecutor;
  tenant: string;
}): McpToolSource<DirectTool> {
  const { tools, executor, tenant } = dependencies;
  return {
    async listTools() {
      return (await tools.newestRegistered(tenant)).map(toSpec);
    },
    async findTool(name) {
      const tool = await tools.findByName(tenant, name);
      return tool ? toSpec(tool) : null;
    },
    runTool(tool, args, signal) {
      return executor.execute(tool.document, args, { signal, inputName: 'arguments' });
    },
  };
}
