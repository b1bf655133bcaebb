import { z } from 'zod';
import {
  chatCompletionsFunctionSchema,
  executeToolRequestSchema,
  functionCallRequestSchema,
  functionCallResultSchema,
  openAiFunctionListSchema,
  openAiFunctionSchema,
  toolExecutionSchema,
  toolListSchema,
  toolSchema,
  toolStatuses,
} from './contract';

/**
 * The OpenAPI paths and schemas of the tool registry (Part B). The response schemas are generated
 * from the zod contract the routes answer with, so the document cannot drift from them.
 */

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => json({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: ref('ErrorResponse') });

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): object {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

export const toolIdParameter = {
  name: 'toolId',
  in: 'path',
  required: true,
  description: 'the 24-hex ObjectId of one version',
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' },
};

export const toolNameParameter = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'the tool’s Python function name',
  schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
};

export const toolVersionParameter = {
  name: 'version',
  in: 'query',
  required: false,
  description: 'a version number; without it, the newest registered version',
  schema: { type: 'integer', minimum: 1 },
};

const toolAnswer = { description: 'the tool, with all versions of its name', content: ref('Tool') };
const notFound = errorResponse('TOOL_NOT_FOUND: no such tool (another client’s tools are not found either)');
const badId = errorResponse('INVALID_REQUEST: the id or name is malformed; details name it');

export function toolRegistryPaths(pageParameters: object[]) {
  return {
    '/api/v1/tools': {
      get: {
        summary: 'List tools (every version), newest first, optionally by name, status, session or job',
        parameters: [
          { name: 'name', in: 'query', required: false, schema: toolNameParameter.schema },
          { name: 'status', in: 'query', required: false, schema: { enum: [...toolStatuses] } },
          { name: 'sessionId', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } },
          {
            name: 'jobId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
          },
          ...pageParameters,
        ],
        responses: {
          '200': { description: 'one page; nextCursor is null on the last page', content: ref('ToolList') },
          '400': errorResponse('a bad filter, limit or cursor; details name it'),
        },
      },
    },
    '/api/v1/tools/{toolId}': {
      get: {
        summary: 'One version of a tool: code, schemas, tests, file, and the list of all versions',
        parameters: [toolIdParameter],
        responses: { '200': toolAnswer, '400': badId, '404': notFound },
      },
    },
    '/api/v1/tools/by-name/{name}': {
      get: {
        summary: 'The newest registered version of a name (or ?version=N)',
        parameters: [toolNameParameter, toolVersionParameter],
        responses: { '200': toolAnswer, '400': badId, '404': notFound },
      },
    },
    '/api/v1/tools/{toolId}/deprecate': {
      post: {
        summary: 'Deprecate a registered version: it no longer runs or is offered; deprecating again changes nothing',
        parameters: [toolIdParameter],
        responses: {
          '200': { description: 'the tool, now deprecated', content: ref('Tool') },
          '400': badId,
          '404': notFound,
          '409': errorResponse('TOOL_NOT_EXECUTABLE: the version failed validation (or is still a draft)'),
        },
      },
    },
  };
}

const formatParameter = {
  name: 'format',
  in: 'query',
  required: false,
  description: 'responses (default): the Responses API shape; chat: the Chat Completions shape',
  schema: { enum: ['responses', 'chat'], default: 'responses' },
};

const executeOperation = (summary: string, parameters: object[]) => ({
  post: {
    summary,
    description:
      'The input is checked against the tool’s input schema before anything runs; the call runs in a fresh process ' +
      'of a warm sandbox (no file, global or environment of one call is seen by the next). What the tool does is ' +
      'never an HTTP error: a raising tool, a sandbox limit or an output that breaks the output schema is a 200 ' +
      'with success false and the reason in error.',
    parameters,
    requestBody: { required: true, content: ref('ExecuteToolRequest') },
    responses: {
      '200': { description: 'the call’s outcome', content: ref('ToolExecution') },
      '400': errorResponse(
        'INVALID_REQUEST: input missing, not an object, or breaking the input schema; details name the fields',
      ),
      '404': notFound,
      '409': errorResponse('TOOL_NOT_EXECUTABLE: the version is deprecated or failed validation'),
      '413': errorResponse('PAYLOAD_TOO_LARGE: the body is over the limit'),
      '503': errorResponse(
        'SERVICE_UNAVAILABLE: every sandbox is busy (Retry-After says when to try again) or the sandbox cannot start',
      ),
    },
  },
});

/** Running tools, OpenAI function calling and MCP (Part B). */
export function toolCallPaths() {
  return {
    '/api/v1/tools/{toolId}/execute': executeOperation('Run one version of a tool', [toolIdParameter]),
    '/api/v1/tools/by-name/{name}/execute': executeOperation(
      'Run the newest registered version of a name (or ?version=N)',
      [toolNameParameter, toolVersionParameter],
    ),
    '/api/v1/tools/{toolId}/openai': {
      get: {
        summary: 'The version as an OpenAI function definition',
        parameters: [toolIdParameter, formatParameter],
        responses: {
          '200': {
            description: 'the definition; strict is true only when strict mode accepts the parameters as they are',
            content: json({
              oneOf: [
                { $ref: '#/components/schemas/OpenAiFunction' },
                { $ref: '#/components/schemas/ChatCompletionsFunction' },
              ],
            }),
          },
          '400': badId,
          '404': notFound,
          '409': errorResponse('TOOL_NOT_EXECUTABLE: a deprecated or failed version has no definition to call'),
        },
      },
    },
    '/api/v1/openai/functions': {
      get: {
        summary: 'Every registered tool (newest version per name) as OpenAI function definitions',
        parameters: [formatParameter],
        responses: {
          '200': { description: 'the definitions', content: ref('OpenAiFunctionList') },
          '400': errorResponse('an unknown format'),
        },
      },
    },
    '/api/v1/execute-tool': {
      post: {
        summary: 'Answer a model’s function_call: run the newest registered version of tool_name',
        requestBody: { required: true, content: ref('FunctionCallRequest') },
        responses: {
          '200': {
            description:
              'result is the output, or { error } when the tool raised or hit a limit: the function_call_output',
            content: ref('FunctionCallResult'),
          },
          '400': errorResponse(
            'INVALID_REQUEST: tool_name or arguments malformed, not JSON, or breaking the input schema',
          ),
          '404': errorResponse('TOOL_NOT_FOUND: no registered tool of that name'),
        },
      },
    },
    '/mcp': {
      post: {
        summary: 'The registered tools as an MCP server (streamable HTTP, stateless, JSON-RPC)',
        description:
          'tools/list offers every registered tool (newest version per name) with inputSchema and outputSchema; tools/call ' +
          'answers structuredContent plus the same JSON as text, or isError with the tool’s error. Requests with an ' +
          'Origin other than localhost are refused (403).',
        requestBody: { required: true, content: json({ type: 'object', description: 'a JSON-RPC 2.0 message' }) },
        responses: {
          '200': { description: 'the JSON-RPC answer', content: json({ type: 'object' }) },
          '403': { description: 'a foreign Origin (or Host, on a loopback bind)' },
        },
      },
    },
  };
}

export function toolRegistrySchemas() {
  return {
    Tool: jsonSchemaOf(toolSchema),
    ToolList: jsonSchemaOf(toolListSchema),
    ExecuteToolRequest: jsonSchemaOf(executeToolRequestSchema, 'input'),
    ToolExecution: jsonSchemaOf(toolExecutionSchema),
    OpenAiFunction: jsonSchemaOf(openAiFunctionSchema),
    ChatCompletionsFunction: jsonSchemaOf(chatCompletionsFunctionSchema),
    OpenAiFunctionList: jsonSchemaOf(openAiFunctionListSchema),
    FunctionCallRequest: jsonSchemaOf(functionCallRequestSchema, 'input'),
    FunctionCallResult: jsonSchemaOf(functionCallResultSchema),
  };
}
