import { z } from 'zod';
import { errorCodes } from '../errors';
import { sessionStatuses, sessionToolsSchema, toolGenerationRequestSchema } from './contract';
import { jsonSchemaOf, toolCallPaths, toolRegistryPaths, toolRegistrySchemas } from './openapi-tools';
import { jobStatuses } from './routes/job-list';
import { version } from '../package.json';

const json = (schema: object) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({
  description,
  content: json({ $ref: '#/components/schemas/ErrorResponse' }),
});
const jobIdParameter = {
  name: 'jobId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
};

const progress = {
  type: 'object',
  required: ['total', 'completed', 'failed', 'inProgress'],
  properties: {
    total: { type: 'integer' },
    completed: { type: 'integer' },
    failed: { type: 'integer' },
    inProgress: { type: 'integer' },
    currentTool: { type: ['string', 'null'] },
  },
};

const toolFile = {
  type: 'object',
  required: ['toolId', 'fileName', 'filePath', 'description', 'code', 'registered', 'createdAt'],
  properties: {
    toolId: { type: 'string', description: 'MongoDB ObjectId, 24 hex characters' },
    fileName: { type: 'string' },
    filePath: { type: 'string' },
    description: { type: 'string' },
    code: { type: 'string', description: 'the complete Python source' },
    endpoint: { type: ['string', 'null'] },
    registered: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const pageParameters = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'page size',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: "opaque: the previous page's nextCursor",
    schema: { type: 'string', maxLength: 200 },
  },
];
const sessionIdParameter = {
  name: 'session_id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' },
};
const sessionStatusValues = [...sessionStatuses];
const jobStatusValues = [...jobStatuses];
const temporalRun = {
  type: 'object',
  description: 'the run in the Temporal Web UI',
  properties: {
    workflowId: { type: 'string' },
    runId: { type: ['string', 'null'] },
    uiUrl: { type: 'string' },
  },
};

const requirementSchema = {
  type: 'object',
  required: ['description', 'input', 'output'],
  properties: { description: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' } },
};
const toolProgress = {
  type: 'object',
  required: ['requirementIndex', 'name', 'stage', 'attempts', 'toolId', 'error', 'reused'],
  properties: {
    requirementIndex: { type: 'integer' },
    name: { type: ['string', 'null'], description: 'the planned function name, once planned' },
    stage: {
      type: 'string',
      description: 'pending, planning, searching, implementing, executing, registering, completed or failed',
    },
    attempts: { type: 'integer', description: 'implementation attempts so far (1 + repairs)' },
    toolId: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    reused: { type: 'boolean', description: 'an earlier job’s registered tool answered this requirement' },
  },
};
const sessionPageResponse = {
  description: 'one page, newest first; nextCursor is null on the last page',
  content: json({ $ref: '#/components/schemas/SessionPage' }),
};
const sessionNotFound = errorResponse('no session has this id (code JOB_NOT_FOUND)');

/** The session endpoints (contract Part A) and the job list, all answered from the MongoDB mirror. */
const sessionPaths = {
  '/api/v1/sessions/{session_id}': {
    get: {
      summary: 'A session: the state of one job, as mirrored into MongoDB',
      parameters: [sessionIdParameter],
      responses: {
        '200': { description: 'the session', content: json({ $ref: '#/components/schemas/Session' }) },
        '400': errorResponse('the session id is not 24 hexadecimal characters'),
        '404': sessionNotFound,
      },
    },
  },
  '/api/v1/sessions/{session_id}/tools': {
    get: {
      summary: 'Every tool generated in a session, registered or failed, in requirement order',
      parameters: [sessionIdParameter],
      responses: {
        '200': { description: 'the tools', content: json({ $ref: '#/components/schemas/SessionTools' }) },
        '400': errorResponse('the session id is not 24 hexadecimal characters'),
        '404': sessionNotFound,
      },
    },
  },
  '/api/v1/sessions/{session_id}/status': {
    get: {
      summary: "A session's status with each requirement's progress through the workflow",
      parameters: [sessionIdParameter],
      responses: {
        '200': { description: 'the status', content: json({ $ref: '#/components/schemas/SessionStatus' }) },
        '400': errorResponse('the session id is not 24 hexadecimal characters'),
        '404': sessionNotFound,
      },
    },
  },
  '/api/v1/sessions/user/{user_id}': {
    get: {
      summary: "A user's sessions (the jobs' metadata.clientId), newest first",
      parameters: [
        { name: 'user_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } },
        ...pageParameters,
      ],
      responses: {
        '200': sessionPageResponse,
        '400': errorResponse('a bad user id, limit or cursor; details name it'),
      },
    },
  },
  '/api/v1/sessions/status/{status_value}': {
    get: {
      summary: 'The sessions in one status, newest first',
      parameters: [
        { name: 'status_value', in: 'path', required: true, schema: { enum: sessionStatusValues } },
        ...pageParameters,
      ],
      responses: {
        '200': sessionPageResponse,
        '400': errorResponse('an unknown status, or a bad limit or cursor; details name it'),
      },
    },
  },
};

const listJobsOperation = {
  summary: 'List jobs, newest first, optionally by status and client',
  description:
    'Answered from the MongoDB mirror: a job is listed once its workflow has mirrored its first state, moments after it is created.',
  parameters: [
    { name: 'status', in: 'query', required: false, schema: { enum: jobStatusValues } },
    {
      name: 'clientId',
      in: 'query',
      required: false,
      description: "the job's metadata.clientId",
      schema: { type: 'string', minLength: 1, maxLength: 200 },
    },
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'one page; nextCursor is null on the last page',
      content: json({ $ref: '#/components/schemas/JobList' }),
    },
    '400': errorResponse('a bad status, clientId, limit or cursor; details name it'),
  },
};

const sessionSchemas = {
  Session: {
    type: 'object',
    required: [
      'sessionId',
      'jobId',
      'userId',
      'clientSessionId',
      'status',
      'jobStatus',
      'toolIds',
      'toolRequirements',
      'progress',
      'toolProgress',
      'failures',
      'error',
      'createdAt',
      'updatedAt',
    ],
    properties: {
      sessionId: { type: 'string', description: 'MongoDB ObjectId, 24 hex characters' },
      jobId: { type: 'string' },
      userId: { type: ['string', 'null'], description: "the job's metadata.clientId" },
      clientSessionId: { type: ['string', 'null'], description: "the job's metadata.sessionId" },
      status: { enum: sessionStatusValues },
      jobStatus: { enum: jobStatusValues },
      toolIds: { type: 'array', items: { type: 'string' } },
      toolRequirements: { type: 'array', items: requirementSchema },
      progress,
      toolProgress: { type: 'array', items: toolProgress },
      failures: {
        type: 'array',
        items: {
          type: 'object',
          required: ['requirementIndex', 'toolRequirement', 'code', 'error'],
          properties: {
            requirementIndex: { type: 'integer' },
            toolRequirement: requirementSchema,
            code: { type: 'string' },
            error: { type: 'string' },
          },
        },
      },
      error: {
        type: ['object', 'null'],
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  SessionPage: {
    type: 'object',
    required: ['sessions', 'nextCursor'],
    properties: {
      sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  SessionTools: jsonSchemaOf(sessionToolsSchema),
  SessionStatus: {
    type: 'object',
    required: ['sessionId', 'jobId', 'status', 'jobStatus', 'progress', 'tools', 'updatedAt'],
    properties: {
      sessionId: { type: 'string' },
      jobId: { type: 'string' },
      status: { enum: sessionStatusValues },
      jobStatus: { enum: jobStatusValues },
      progress,
      tools: { type: 'array', items: toolProgress },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  JobList: {
    type: 'object',
    required: ['jobs', 'nextCursor'],
    properties: {
      jobs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['jobId', 'status', 'clientId', 'createdAt', 'updatedAt', 'progress', 'temporal'],
          properties: {
            jobId: { type: 'string' },
            status: { enum: jobStatusValues },
            clientId: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            progress,
            temporal: temporalRun,
          },
        },
      },
      nextCursor: { type: ['string', 'null'] },
    },
  },
};

/** OpenAPI 3.1 for what the service serves; the request body schema comes from the zod contract itself. */
export function openApiDocument() {
  const { $schema: _dialect, ...requestSchema } = z.toJSONSchema(toolGenerationRequestSchema, { io: 'input' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Toolsmith',
      version,
      description:
        'Turns natural-language tool requirements into tested, registered Python tools. Each job is a Temporal workflow.',
    },
    paths: {
      '/api/v1/health': {
        get: {
          summary: 'Health of the service and its database',
          responses: {
            '200': { description: 'healthy', content: json({ $ref: '#/components/schemas/HealthResponse' }) },
            '503': { description: 'unhealthy', content: json({ $ref: '#/components/schemas/HealthResponse' }) },
          },
        },
      },
      '/api/v1/jobs': {
        get: listJobsOperation,
        post: {
          summary: 'Create a tool-generation job',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ToolGenerationRequest' }) },
          responses: {
            '201': { description: 'the job, pending', content: json({ $ref: '#/components/schemas/JobResponse' }) },
            '400': errorResponse('the request is invalid; details name the fields'),
            '413': errorResponse('the body is too large'),
            '503': errorResponse('Temporal is unreachable'),
          },
        },
      },
      '/api/v1/jobs/{jobId}': {
        get: {
          summary: 'Job status, and its tools once completed',
          parameters: [jobIdParameter],
          responses: {
            '200': {
              description:
                'the job; the X-Toolsmith-Data-Source header is "mongodb-mirror" when answered from the mirror',
              content: json({ $ref: '#/components/schemas/JobResponse' }),
            },
            '400': errorResponse('malformed job id'),
            '404': errorResponse('no such job'),
          },
        },
      },
      '/api/v1/jobs/{jobId}/cancel': {
        post: {
          summary: 'Cancel a running job: its activities stop and it ends `cancelled`',
          parameters: [jobIdParameter],
          responses: {
            '202': {
              description: 'cancellation requested; the job as it is now',
              content: json({ $ref: '#/components/schemas/JobResponse' }),
            },
            '404': errorResponse('no such job'),
            '409': errorResponse('JOB_ALREADY_COMPLETED: the job has already ended'),
          },
        },
      },
      '/api/v1/jobs/{jobId}/retry': {
        post: {
          summary: 'Re-run a failed, cancelled or partly failed job, keeping the tools already made',
          description:
            'Starts a new run of the same workflow id that carries over every registered tool and regenerates only the rest; the earlier run stays inspectable in Temporal under its run id.',
          parameters: [jobIdParameter],
          responses: {
            '202': {
              description: 'the new run, pending (new temporal.runId)',
              content: json({ $ref: '#/components/schemas/JobResponse' }),
            },
            '404': errorResponse('no such job'),
            '409': errorResponse(
              'the job is still running (INVALID_REQUEST), or every tool was made (JOB_ALREADY_COMPLETED)',
            ),
          },
        },
      },
      '/api/v1/jobs/{jobId}/events': {
        get: {
          summary: 'Live progress as Server-Sent Events',
          description:
            'One `stage` event per tool stage change ({ jobId, requirementIndex, toolName, stage, attempts }, id `<run>-<seq>`), then a final `job` event ({ jobId, status, progress }); then the stream closes. Send `Last-Event-ID` to resume after an event.',
          parameters: [
            jobIdParameter,
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'the event stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            '404': errorResponse('no such job'),
          },
        },
      },
      ...sessionPaths,
      ...toolRegistryPaths(pageParameters),
      ...toolCallPaths(),
    },
    components: {
      schemas: {
        ...sessionSchemas,
        ...toolRegistrySchemas(),
        ToolGenerationRequest: requestSchema,
        JobResponse: {
          type: 'object',
          required: ['jobId', 'status', 'createdAt', 'updatedAt', 'progress', 'temporal'],
          properties: {
            jobId: { type: 'string' },
            status: { enum: ['pending', 'running', 'completed', 'failed', 'cancelled'] },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            progress,
            toolFiles: { type: 'array', items: toolFile },
            failures: {
              type: 'array',
              items: {
                type: 'object',
                required: ['toolRequirement', 'error'],
                properties: {
                  toolRequirement: { type: 'object' },
                  error: { type: 'string' },
                  code: { type: 'string' },
                },
              },
            },
            summary: {
              type: 'object',
              properties: {
                totalRequested: { type: 'integer' },
                successful: { type: 'integer' },
                failed: { type: 'integer' },
                totalTokens: { type: 'integer' },
                reused: {
                  type: 'integer',
                  description: 'requirements answered with an earlier job’s registered tool, without the model',
                },
              },
            },
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
            temporal: temporalRun,
          },
        },
        HealthResponse: {
          type: 'object',
          required: ['status', 'timestamp', 'version', 'database'],
          properties: {
            status: { enum: ['healthy', 'unhealthy'] },
            timestamp: { type: 'string', format: 'date-time' },
            version: { type: 'string' },
            database: { enum: ['connected', 'disconnected'] },
            temporal: { enum: ['connected', 'disconnected'] },
          },
        },
        ErrorResponse: {
          type: 'object',
          required: ['error', 'code', 'timestamp'],
          properties: {
            error: { type: 'string' },
            code: { enum: [...errorCodes] },
            details: {},
            timestamp: { type: 'string', format: 'date-time' },
            jobId: { type: 'string' },
            requestId: { type: 'string' },
          },
        },
      },
    },
  };
}
