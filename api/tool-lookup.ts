import { ObjectId } from 'mongodb';
import { ServiceError } from '../errors';
import type { ToolDocument } from '../store/documents';
import type { ToolStore } from '../store/tools';
import { objectIdSchema, toolNameSchema } from './contract';
import { invalidRequest } from './http-errors';

/**
 * Finding a tenant's tool for a request: a malformed id or name is a 400 naming the parameter,
 * a tool that does not exist (or is another tenant's) TOOL_NOT_FOUND, one that may not run
 * TOOL_NOT_EXECUTABLE. Shared by the registry, execution, function calling and MCP.
 */
export function createToolLookup(tools: ToolStore) {
  return {
    async byId(tenant: string, rawId: string): Promise<ToolDocument> {
      const id = objectIdSchema.safeParse(rawId);
      if (!id.success) throw invalidRequest(id.error, ['toolId']);
      const tool = await tools.findOwned(tenant, new ObjectId(id.data));
      if (!tool) throw new ServiceError('TOOL_NOT_FOUND', `No tool has the id "${id.data}".`);
      return tool;
    },

    /** The given version of a name, or else its newest registered version. */
    async byName(tenant: string, rawName: string, version?: number): Promise<ToolDocument> {
      const name = toolNameSchema.safeParse(rawName);
      if (!name.success) throw invalidRequest(name.error, ['name']);
      const tool = await tools.findByName(tenant, name.data, version);
      if (tool) return tool;
      const which = version === undefined ? 'registered version of a tool' : `version ${version} of a tool`;
      throw new ServiceError('TOOL_NOT_FOUND', `There is no ${which} named "${name.data}".`);
    },
  };
}

export type ToolLookup = ReturnType<typeof createToolLookup>;
