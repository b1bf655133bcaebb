import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  pageQuerySchema,
  sessionIdParamsSchema,
  sessionPageSchema,
  sessionSchema,
  sessionStatusParamsSchema,
  sessionStatusViewSchema,
  sessionToolsSchema,
  sessionUserParamsSchema,
} from '../../contract';
import { jsonAnswer, registerOperation } from './operation';

const BAD_SESSION_ID = 'INVALID_REQUEST: the session id is not 24 hexadecimal characters';
const NO_SUCH_SESSION = 'JOB_NOT_FOUND: no session has this id (another client’s sessions are not found either)';
const A_PAGE = 'one page, newest first; nextCursor is null on the last page';

/** The session endpoints (Part A), all answered from the MongoDB mirror. */
export function registerSessionPaths(registry: OpenAPIRegistry): void {
  const oneSession = [
    ['', 'A session: the state of one job, as mirrored into MongoDB', 'the session', sessionSchema],
    ['/tools', 'Every tool of a session, registered or failed, in requirement order', 'the tools', sessionToolsSchema],
    [
      '/status',
      "A session's status with each requirement's progress through the workflow",
      'the status',
      sessionStatusViewSchema,
    ],
  ] as const;
  for (const [suffix, summary, answer, schema] of oneSession) {
    registerOperation(registry, {
      method: 'get',
      path: `/api/v1/sessions/{session_id}${suffix}`,
      summary,
      request: { params: sessionIdParamsSchema },
      responses: { 200: jsonAnswer(answer, schema) },
      errors: { 400: BAD_SESSION_ID, 404: NO_SUCH_SESSION },
    });
  }

  const listings = [
    ['user/{user_id}', "A user's sessions (the jobs' metadata.clientId)", sessionUserParamsSchema, 'a bad user id'],
    ['status/{status_value}', 'The sessions in one status', sessionStatusParamsSchema, 'an unknown status'],
  ] as const;
  for (const [path, summary, params, badParam] of listings) {
    registerOperation(registry, {
      method: 'get',
      path: `/api/v1/sessions/${path}`,
      summary: `${summary}, newest first`,
      request: { params, query: pageQuerySchema },
      responses: { 200: jsonAnswer(A_PAGE, sessionPageSchema) },
      errors: { 400: `INVALID_REQUEST: ${badParam}, or a bad limit or cursor; details name it` },
    });
  }
}
