import { ObjectId } from 'mongodb';
import { ServiceError, parseRequest, objectIdSchema, toolNameSchema } from '../contract';
import type { ToolDocument } from '../store/documents';
import type { ToolStore } from '../store/tools';

/**
 * Finding a tenant's tool for a request: a malformed id or name is a 400 naming the parameter,
 * a tool that does not exist (or is another tenant's) TOOL_NOT_FOUND, one that may not run
 * TOOL_NOT_EXECUTABLE. Shared by the registry, execution, function calling and MCP.
 */
export function createToolLookup(tools: ToolStore) {
  return {
    async byId(tenant: string, rawId: string): Promise<ToolDocument> {
      const id = parseRequest(objectIdSchema, rawId, ['toolId']);
      const tool = await tools.findOwned(tenant, new ObjectId(id));
      if (!tool) throw new ServiceError('TOOL_NOT_FOUND', `No tool has the id "${id}".`);
      return tool;
    },

    /** The given version of a name, or else its newest registered version. */
    async byName(tenant: string, rawName: string, version?: number): Promise<ToolDocument> {
      const name = parseRequest(toolNameSchema, rawName, ['name']);
      const tool = await tools.findByName(tenant, name, version);
      if (tool) return tool;
      const which = version === undefined ? 'registered version of a tool' : `version ${version} of a tool`;
      throw new ServiceError('TOOL_NOT_FOUND', `There is no ${which} named "${name}".`);
    },
  };
}

export type ToolLookup = ReturnType<typeof createToolLookup>;
