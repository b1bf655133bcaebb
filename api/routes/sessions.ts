import { Router } from 'express';
import { ObjectId } from 'mongodb';
import type { PageWindow } from '../../store/pages';
import type { SessionStore } from '../../store/sessions';
import type { SessionDocument, ToolDocument } from '../../store/documents';
import {
  clientLabelSchema,
  cursorAfter,
  pageQuerySchema,
  sessionIdSchema,
  sessionStatusSchema,
  type SessionPage,
  type SessionStatusView,
  type SessionToolsView,
  type SessionView,
  type ToolProgressView,
  parseRequest,
  ServiceError,
} from '../../contract';
import { toProgressView } from '../jobs/job-views';
import { tenantOf } from '../tenant';
import { toToolDetails } from '../tool-views';

/** The sort key of a listed document: what a cursor points after. */
interface Pageable {
  _id: ObjectId;
  created_at: Date;
}

export interface Page<T> {
  items: T[];
  /** null on the last page */
  nextCursor: string | null;
}

/**
 * The one pagination of every newest-first listing: reads `limit` and `cursor` from the query
 * (a bad one is a 400 naming it), asks `load` for one item more than the page holds, so the last
 * page is known to be last and carries no cursor.
 */
export async function paginate<T extends Pageable>(
  query: unknown,
  load: (page: PageWindow) => Promise<T[]>,
): Promise<Page<T>> {
  const parsed = parseRequest(pageQuerySchema, query);
  const { limit, cursor } = parsed;
  const found = await load({ limit: limit + 1, after: cursor });
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: found.length > limit && last ? cursorAfter(last) : null };
}

function toToolProgressView(session: SessionDocument): ToolProgressView[] {
  return (session.tool_progress ?? []).map((tool) => ({
    requirementIndex: tool.requirement_index,
    name: tool.name,
    stage: tool.stage,
    attempts: tool.attempts,
    toolId: tool.tool_id,
    error: tool.error,
    reused: tool.reused ?? false,
  }));
}

/**
 * A session, camelCase. Sessions mirrored into FerretDB v1 by earlier versions may lack the fields
 * whose first value was null or empty (its $setOnInsert dropped them): they read as null or [].
 */
export function toSessionView(session: SessionDocument): SessionView {
  return {
    sessionId: session._id.toHexString(),
    jobId: session.job_id,
    userId: session.user_id ?? null,
    clientSessionId: session.client_session_id ?? null,
    status: session.status,
    jobStatus: session.job_status,
    toolIds: (session.tool_ids ?? []).map((id) => id.toHexString()),
    toolRequirements: session.tool_requirements ?? [],
    progress: toProgressView(session.progress),
    toolProgress: toToolProgressView(session),
    failures: (session.failures ?? []).map((failure) => ({
      requirementIndex: failure.requirement_index,
      toolRequirement: failure.tool_requirement,
      code: failure.code,
      error: failure.error,
      ...(failure.last_reply === undefined ? {} : { lastReply: failure.last_reply }),
    })),
    error: session.error ?? null,
    createdAt: session.created_at.toISOString(),
    updatedAt: session.updated_at.toISOString(),
  };
}

function toSessionToolView(tool: ToolDocument): SessionToolsView['tools'][number] {
  return { ...toToolDetails(tool), registered: tool.status === 'registered' };
}

export function sessionsRouter(sessions: SessionStore): Router {
  const router = Router();

  /** The tenant's session; another tenant's answers exactly as an unknown id does. */
  async function findSession(tenant: string, raw: string): Promise<SessionDocument> {
    const parsed = parseRequest(sessionIdSchema, raw, ['session_id']);
    const session = await sessions.findById(tenant, new ObjectId(parsed.toLowerCase()));
    if (!session) throw new ServiceError('JOB_NOT_FOUND', `No session has the id "${parsed}".`);
    return session;
  }

  // The two listings come first: "/user/…" and "/status/…" are never read as a session id.
  router.get('/user/:user_id', async (req, res) => {
    const userId = parseRequest(clientLabelSchema, req.params.user_id, ['user_id']);
    const page = await paginate(req.query, (window) => sessions.listByUser(tenantOf(res), userId, window));
    res.json({ sessions: page.items.map(toSessionView), nextCursor: page.nextCursor } satisfies SessionPage);
  });

  router.get('/status/:status_value', async (req, res) => {
    const status = parseRequest(sessionStatusSchema, req.params.status_value, ['status_value']);
    const page = await paginate(req.query, (window) => sessions.listByStatus(tenantOf(res), status, window));
    res.json({ sessions: page.items.map(toSessionView), nextCursor: page.nextCursor } satisfies SessionPage);
  });

  router.get('/:session_id', async (req, res) => {
    res.json(toSessionView(await findSession(tenantOf(res), req.params.session_id)));
  });

  router.get('/:session_id/tools', async (req, res) => {
    const session = await findSession(tenantOf(res), req.params.session_id);
    const tools = await sessions.toolsOf(session);
    res.json({ sessionId: session._id.toHexString(), tools: tools.map(toSessionToolView) } satisfies SessionToolsView);
  });

  router.get('/:session_id/status', async (req, res) => {
    const session = await findSession(tenantOf(res), req.params.session_id);
    res.json({
      sessionId: session._id.toHexString(),
      jobId: session.job_id,
      status: session.status,
      jobStatus: session.job_status,
      progress: toProgressView(session.progress),
      tools: toToolProgressView(session),
      updatedAt: session.updated_at.toISOString(),
    } satisfies SessionStatusView);
  });

  return router;
}
