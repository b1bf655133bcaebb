import { Router } from 'express';
import { ObjectId } from 'mongodb';
import { ServiceError, parseRequest } from '../../contract';
import type { ToolDocument } from '../../store/documents';
import type { ToolStore } from '../../store/tools';
import { toolListQuerySchema, toolVersionQuerySchema, type ToolList, type ToolView } from '../../contract';
import { tenantOf } from '../tenant';
import { createToolLookup } from '../tool-lookup';
import { toToolSummary, toToolView } from '../tool-views';
import { paginate } from './sessions';

/**
 * The tool registry: every version of every tool of the caller's tenant, newest first; one tool
 * with all its versions; the newest registered version of a name; deprecation.
 */
export function toolsRouter(tools: ToolStore): Router {
  const router = Router();
  const lookup = createToolLookup(tools);

  async function withVersions(tool: ToolDocument): Promise<ToolView> {
    return toToolView(tool, await tools.versionsOf(tool.tenant_id, tool.name));
  }

  router.get('/', async (req, res) => {
    const filter = parseRequest(toolListQuerySchema, req.query);
    const { name, status, sessionId, jobId } = filter;
    const page = await paginate(req.query, (window) =>
      tools.list(
        tenantOf(res),
        { name, status, jobId, sessionId: sessionId === undefined ? undefined : new ObjectId(sessionId) },
        window,
      ),
    );
    res.json({ tools: page.items.map(toToolSummary), nextCursor: page.nextCursor } satisfies ToolList);
  });

  // Before "/:toolId": "by-name" is never read as an id.
  router.get('/by-name/:name', async (req, res) => {
    const query = parseRequest(toolVersionQuerySchema, req.query);
    res.json(await withVersions(await lookup.byName(tenantOf(res), req.params.name, query.version)));
  });

  router.get('/:toolId', async (req, res) => {
    res.json(await withVersions(await lookup.byId(tenantOf(res), req.params.toolId)));
  });

  /** Idempotent: deprecating a deprecated version answers it as it is. */
  router.post('/:toolId/deprecate', async (req, res) => {
    const tenant = tenantOf(res);
    const found = await lookup.byId(tenant, req.params.toolId);
    const tool =
      (await tools.deprecate(tenant, found._id, new Date())) ?? (await lookup.byId(tenant, req.params.toolId));
    if (tool.status !== 'deprecated') {
      throw new ServiceError(
        'TOOL_NOT_EXECUTABLE',
        `Tool "${tool.name}" version ${tool.version} is ${tool.status}: only a registered version can be deprecated.`,
        { details: { toolId: tool._id.toHexString(), status: tool.status } },
      );
    }
    res.json(await withVersions(tool));
  });

  return router;
}
