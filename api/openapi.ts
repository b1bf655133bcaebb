import { z } from 'zod';
import { errorCodes } from '../errors';
import { toolGenerationRequestSchema } from './contract';
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
    },
    components: {
      schemas: {
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
              },
            },
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
            temporal: {
              type: 'object',
              properties: {
                workflowId: { type: 'string' },
                runId: { type: ['string', 'null'] },
                uiUrl: { type: 'string' },
              },
            },
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
