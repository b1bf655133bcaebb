import { Router } from 'express';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import type { SessionStore } from '../../store/sessions';
import type { SessionDocument } from '../../store/documents';
import { sessionStatusSchema } from '../contract';
import { invalidRequest } from '../http-errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const cursorSchema = z
  .string()
  .max(200)
  .transform((cursor, ctx) => {
    const [millis, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    if (!millis || !id || !/^\d+$/.test(millis) || !ObjectId.isValid(id) || id.length !== 24) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
    return { createdAt: new Date(Number(millis)), id: new ObjectId(id) };
  });

const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: cursorSchema.optional(),
});

function cursorAfter(session: SessionDocument): string {
  return Buffer.from(`${session.created_at.getTime()}:${session._id.toHexString()}`).toString('base64url');
}

export function toSessionView(session: SessionDocument) {
  return {
    sessionId: session._id.toHexString(),
    jobId: session.job_id,
    userId: session.user_id,
    clientSessionId: session.client_session_id,
    status: session.status,
    jobStatus: session.job_status,
    toolIds: session.tool_ids.map((id) => id.toHexString()),
    toolRequirements: session.tool_requirements,
    progress: session.progress,
    createdAt: session.created_at.toISOString(),
    updatedAt: session.updated_at.toISOString(),
  };
}

export function sessionsRouter(sessions: SessionStore): Router {
  const router = Router();

  router.get('/status/:status', async (req, res) => {
    const status = sessionStatusSchema.safeParse(req.params.status);
    if (!status.success) throw invalidRequest(status.error, ['status']);
    const page = pageQuerySchema.safeParse(req.query);
    if (!page.success) throw invalidRequest(page.error);
    const found = await sessions.listByStatus(status.data, { limit: page.data.limit, after: page.data.cursor });
    const last = found.at(-1);
    res.json({
      sessions: found.map(toSessionView),
      nextCursor: found.length === page.data.limit && last ? cursorAfter(last) : null,
    });
  });

  return router;
}
