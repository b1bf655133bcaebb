import { Router } from 'express';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import type { PageWindow } from '../../store/pages';
import type { SessionStore } from '../../store/sessions';
import type { ProgressDocument, SessionDocument, ToolDocument } from '../../store/documents';
import { MAX_METADATA_CHARS, sessionStatusSchema, type JobProgress } from '../contract';
import { HttpError, invalidRequest } from '../http-errors';
import { toToolDetails } from '../tool-views';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Later than any Date can be (ECMAScript's limit is 8.64e15 ms). */
const MAX_DATE_MILLIS = 8.64e15;

/** Opaque to clients: base64url of "<created_at millis>:<_id hex>", the sort key of a page's last item. */
const cursorSchema = z
  .string({ error: 'must be a single cursor' })
  .max(200, 'is not a cursor this API returned')
  .transform((cursor, ctx) => {
    const [millis, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    const valid = millis && id && rest.length === 0 && /^\d{1,16}$/.test(millis) && Number(millis) <= MAX_DATE_MILLIS;
    if (!valid || !/^[0-9a-f]{24}$/.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
    return { createdAt: new Date(Number(millis)), id: new ObjectId(id) };
  });

const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
    .int(`must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .min(1, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE),
  cursor: cursorSchema.optional(),
});

/** The sort key of a listed document: what a cursor points after. */
interface Pageable {
  _id: ObjectId;
  created_at: Date;
}

function cursorAfter(item: Pageable): string {
  return Buffer.from(`${item.created_at.getTime()}:${item._id.toHexString()}`).toString('base64url');
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
  const parsed = pageQuerySchema.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error);
  const { limit, cursor } = parsed.data;
  const found = await load({ limit: limit + 1, after: cursor });
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: found.length > limit && last ? cursorAfter(last) : null };
}

export function toProgressView(progress: ProgressDocument): JobProgress {
  return {
    total: progress.total,
    completed: progress.completed,
    failed: progress.failed,
    inProgress: progress.in_progress,
    currentTool: progress.current_tool,
  };
}

function toToolProgressView(session: SessionDocument) {
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
export function toSessionView(session: SessionDocument) {
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
    })),
    error: session.error ?? null,
    createdAt: session.created_at.toISOString(),
    updatedAt: session.updated_at.toISOString(),
  };
}

function toSessionToolView(tool: ToolDocument) {
  return { ...toToolDetails(tool), registered: tool.status === 'registered' };
}

const sessionIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, 'must be a session id: 24 hexadecimal characters (the MongoDB ObjectId)');

const userIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_METADATA_CHARS, `must be at most ${MAX_METADATA_CHARS} characters`);

export function sessionsRouter(sessions: SessionStore): Router {
  const router = Router();

  async function findSession(raw: string): Promise<SessionDocument> {
    const parsed = sessionIdSchema.safeParse(raw);
    if (!parsed.success) throw invalidRequest(parsed.error, ['session_id']);
    const session = await sessions.findById(new ObjectId(parsed.data.toLowerCase()));
    if (!session) throw new HttpError('JOB_NOT_FOUND', `No session has the id "${parsed.data}".`, 404);
    return session;
  }

  // The two listings come first: "/user/…" and "/status/…" are never read as a session id.
  router.get('/user/:user_id', async (req, res) => {
    const userId = userIdSchema.safeParse(req.params.user_id);
    if (!userId.success) throw invalidRequest(userId.error, ['user_id']);
    const page = await paginate(req.query, (window) => sessions.listByUser(userId.data, window));
    res.json({ sessions: page.items.map(toSessionView), nextCursor: page.nextCursor });
  });

  router.get('/status/:status_value', async (req, res) => {
    const status = sessionStatusSchema.safeParse(req.params.status_value);
    if (!status.success) throw invalidRequest(status.error, ['status_value']);
    const page = await paginate(req.query, (window) => sessions.listByStatus(status.data, window));
    res.json({ sessions: page.items.map(toSessionView), nextCursor: page.nextCursor });
  });

  router.get('/:session_id', async (req, res) => {
    res.json(toSessionView(await findSession(req.params.session_id)));
  });

  router.get('/:session_id/tools', async (req, res) => {
    const session = await findSession(req.params.session_id);
    const tools = await sessions.toolsOf(session);
    res.json({ sessionId: session._id.toHexString(), tools: tools.map(toSessionToolView) });
  });

  router.get('/:session_id/status', async (req, res) => {
    const session = await findSession(req.params.session_id);
    res.json({
      sessionId: session._id.toHexString(),
      jobId: session.job_id,
      status: session.status,
      jobStatus: session.job_status,
      progress: toProgressView(session.progress),
      tools: toToolProgressView(session),
      updatedAt: session.updated_at.toISOString(),
    });
  });

  return router;
}
