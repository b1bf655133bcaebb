import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  idempotencyKeyHeaderSchema,
  jobEndEventSchema,
  jobIdParamsSchema,
  jobListQuerySchema,
  jobListSchema,
  jobResponseSchema,
  jobStageEventSchema,
  lastEventIdHeaderSchema,
  pageQuerySchema,
  toolGenerationRequestSchema,
} from '../../contract';
import { z } from '../../contract/zod';
import { serverSentEventSchema } from '../../contract/server-sent-events';
import { jsonAnswer, registerOperation } from './operation';

const NO_SUCH_JOB = 'JOB_NOT_FOUND: no such job (another client’s jobs are not found either)';
const BAD_JOB_ID = 'INVALID_REQUEST: the job id is malformed; details name it';
const TEMPORAL_DOWN = 'SERVICE_UNAVAILABLE: Temporal is unreachable; try again shortly';

const dataSourceHeader = z.object({
  'X-Toolsmith-Data-Source': z
    .literal('mongodb-mirror')
    .optional()
    .describe('present when Temporal could not answer and the job comes from the MongoDB mirror'),
});

export function registerJobPaths(registry: OpenAPIRegistry): void {
  registerOperation(registry, {
    method: 'post',
    path: '/api/v1/jobs',
    summary: 'Create a tool-generation job',
    description: 'The job is a Temporal workflow whose id is the jobId.',
    request: { headers: idempotencyKeyHeaderSchema },
    body: toolGenerationRequestSchema,
    responses: {
      201: jsonAnswer('the job, pending (Location names it)', jobResponseSchema),
      200: jsonAnswer(
        'an earlier request with the same Idempotency-Key made this job; nothing new started',
        jobResponseSchema,
      ),
    },
    errors: {
      409: 'INVALID_REQUEST: the Idempotency-Key was used with a different body',
      429: 'RATE_LIMIT_EXCEEDED: the client has as many jobs running as it may',
      503: TEMPORAL_DOWN,
    },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/jobs',
    summary: 'List jobs, newest first, optionally by status and client',
    description:
      'Answered from the MongoDB mirror: a job is listed once its workflow has mirrored its first state, moments after it is created.',
    request: { query: jobListQuerySchema.extend(pageQuerySchema.shape) },
    responses: { 200: jsonAnswer('one page; nextCursor is null on the last page', jobListSchema) },
    errors: { 400: 'INVALID_REQUEST: a bad status, clientId, limit or cursor; details name it' },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/jobs/{jobId}',
    summary: 'Job status, and its tools once completed',
    request: { params: jobIdParamsSchema },
    responses: { 200: jsonAnswer('the job', jobResponseSchema, dataSourceHeader) },
    errors: {
      400: BAD_JOB_ID,
      404: NO_SUCH_JOB,
      503: 'SERVICE_UNAVAILABLE: Temporal is unreachable and the job has no mirrored state yet',
    },
  });

  const actions = [
    {
      action: 'cancel',
      summary: 'Cancel a running job: its activities stop and it ends `cancelled`',
      answer: 'cancellation requested; the job as it is now',
      conflict: 'JOB_ALREADY_COMPLETED: the job has already ended',
      unavailable: TEMPORAL_DOWN,
    },
    {
      action: 'retry',
      summary: 'Re-run a failed, cancelled or partly failed job, keeping the tools already made',
      description:
        'Starts a new run of the same workflow id that carries over every registered tool and regenerates only the rest; the earlier run stays inspectable in Temporal under its run id.',
      answer: 'the new run, pending (a new temporal.runId)',
      conflict: 'INVALID_REQUEST: the job is still running; or JOB_ALREADY_COMPLETED: every tool was made',
      unavailable: `${TEMPORAL_DOWN}, or the job has no mirrored session to retry from yet`,
    },
  ];
  for (const { action, answer, conflict, unavailable, ...text } of actions) {
    registerOperation(registry, {
      method: 'post',
      path: `/api/v1/jobs/{jobId}/${action}`,
      ...text,
      request: { params: jobIdParamsSchema },
      responses: { 202: jsonAnswer(answer, jobResponseSchema) },
      errors: { 400: BAD_JOB_ID, 404: NO_SUCH_JOB, 409: conflict, 503: unavailable },
    });
  }

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/jobs/{jobId}/events',
    summary: 'Live progress as Server-Sent Events',
    description:
      'One `stage` event per tool stage change (data: JobStageEvent, id `<run>-<seq>`), then one `job` event when the job has ended ' +
      '(data: JobEndEvent, id `<run>-final`); then the stream closes. Comment lines keep a quiet stream open. Send ' +
      '`Last-Event-ID` to resume after an event. The `x-events` extension names each event’s data schema.',
    'x-events': {
      stage: { $ref: '#/components/schemas/JobStageEvent' },
      job: { $ref: '#/components/schemas/JobEndEvent' },
    },
    request: { params: jobIdParamsSchema, headers: lastEventIdHeaderSchema },
    responses: {
      200: {
        description: 'the event stream',
        content: {
          'text/event-stream': {
            schema: serverSentEventSchema(
              ['stage', 'job'],
              'the JSON of a JobStageEvent (`stage`) or a JobEndEvent (`job`)',
            ),
          },
        },
      },
    },
    errors: { 400: BAD_JOB_ID, 404: NO_SUCH_JOB, 503: TEMPORAL_DOWN },
  });

  // Only the stream names them, so they are registered on their own.
  registry.register('JobStageEvent', jobStageEventSchema);
  registry.register('JobEndEvent', jobEndEventSchema);
}
