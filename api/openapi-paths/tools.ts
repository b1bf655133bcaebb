import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  anyFunctionFormatSchema,
  executeToolRequestSchema,
  functionCallRequestSchema,
  functionCallResultSchema,
  functionFormatQuerySchema,
  openAiFunctionListSchema,
  pageQuerySchema,
  toolExecutionSchema,
  toolIdParamsSchema,
  toolListQuerySchema,
  toolListSchema,
  toolNameParamsSchema,
  toolSchema,
  toolVersionQuerySchema,
} from '../../contract';
import { jsonAnswer, registerOperation, type OperationSpec } from './operation';

const NO_SUCH_TOOL = 'TOOL_NOT_FOUND: no such tool (another client’s tools are not found either)';
const BAD_ID = 'INVALID_REQUEST: the id, name or version is malformed; details name it';
const NOT_RUNNABLE = 'TOOL_NOT_EXECUTABLE: the version is deprecated or failed validation';
const A_TOOL = 'the tool, with every version of its name';

/** The tool registry (Part B). */
export function registerToolRegistryPaths(registry: OpenAPIRegistry): void {
  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/tools',
    summary: 'List tools (every version), newest first, optionally by name, status, session or job',
    request: { query: toolListQuerySchema.extend(pageQuerySchema.shape) },
    responses: { 200: jsonAnswer('one page; nextCursor is null on the last page', toolListSchema) },
    errors: { 400: 'INVALID_REQUEST: a bad filter, limit or cursor; details name it' },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/tools/{toolId}',
    summary: 'One version of a tool: code, schemas, tests, file, and the list of all versions',
    request: { params: toolIdParamsSchema },
    responses: { 200: jsonAnswer(A_TOOL, toolSchema) },
    errors: { 400: BAD_ID, 404: NO_SUCH_TOOL },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/tools/by-name/{name}',
    summary: 'The newest registered version of a name (or ?version=N)',
    request: { params: toolNameParamsSchema, query: toolVersionQuerySchema },
    responses: { 200: jsonAnswer(A_TOOL, toolSchema) },
    errors: { 400: BAD_ID, 404: NO_SUCH_TOOL },
  });

  registerOperation(registry, {
    method: 'post',
    path: '/api/v1/tools/{toolId}/deprecate',
    summary: 'Deprecate a registered version: it no longer runs or is offered; deprecating again changes nothing',
    request: { params: toolIdParamsSchema },
    responses: { 200: jsonAnswer('the tool, now deprecated', toolSchema) },
    errors: {
      400: BAD_ID,
      404: NO_SUCH_TOOL,
      409: 'TOOL_NOT_EXECUTABLE: the version failed validation (or is still a draft)',
    },
  });
}

const RUNS_A_TOOL: Pick<OperationSpec, 'errors'>['errors'] = {
  400: 'INVALID_REQUEST: input missing, not an object, or breaking the tool’s input schema; details name the fields',
  404: NO_SUCH_TOOL,
  409: NOT_RUNNABLE,
  503: 'SERVICE_UNAVAILABLE: every sandbox is busy (Retry-After says when to try again) or the sandbox cannot start',
};

const EXECUTE_DESCRIPTION =
  'The input is checked against the tool’s input schema before anything runs; the call runs in a fresh process ' +
  'of a warm sandbox (no file, global or environment of one call is seen by the next). What the tool does is ' +
  'never an HTTP error: a raising tool, a sandbox limit or an output that breaks the output schema is a 200 ' +
  'with success false and the reason in error.';

/** Running tools and OpenAI function calling (Part B). */
export function registerToolCallPaths(registry: OpenAPIRegistry): void {
  registerOperation(registry, {
    method: 'post',
    path: '/api/v1/tools/{toolId}/execute',
    summary: 'Run one version of a tool',
    description: EXECUTE_DESCRIPTION,
    request: { params: toolIdParamsSchema },
    body: executeToolRequestSchema,
    responses: { 200: jsonAnswer('the call’s outcome', toolExecutionSchema) },
    errors: RUNS_A_TOOL,
  });

  registerOperation(registry, {
    method: 'post',
    path: '/api/v1/tools/by-name/{name}/execute',
    summary: 'Run the newest registered version of a name (or ?version=N)',
    description: EXECUTE_DESCRIPTION,
    request: { params: toolNameParamsSchema, query: toolVersionQuerySchema },
    body: executeToolRequestSchema,
    responses: { 200: jsonAnswer('the call’s outcome', toolExecutionSchema) },
    errors: RUNS_A_TOOL,
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/tools/{toolId}/openai',
    summary: 'The version as an OpenAI function definition',
    request: { params: toolIdParamsSchema, query: functionFormatQuerySchema },
    responses: {
      200: jsonAnswer(
        'the definition (OpenAiFunction, or ChatCompletionsFunction with format=chat); strict is true only when strict mode accepts the parameters as they are',
        anyFunctionFormatSchema,
      ),
    },
    errors: {
      400: BAD_ID,
      404: NO_SUCH_TOOL,
      409: 'TOOL_NOT_EXECUTABLE: a deprecated or failed version has no definition to call',
    },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/openai/functions',
    summary: 'Every registered tool (newest version per name) as OpenAI function definitions',
    request: { query: functionFormatQuerySchema },
    responses: { 200: jsonAnswer('the definitions', openAiFunctionListSchema) },
    errors: { 400: 'INVALID_REQUEST: an unknown format' },
  });

  registerOperation(registry, {
    method: 'post',
    path: '/api/v1/execute-tool',
    summary: 'Answer a model’s function_call: run the newest registered version of tool_name',
    body: functionCallRequestSchema,
    responses: {
      200: jsonAnswer(
        'result is the output, or { error } when the tool raised or hit a limit: the function_call_output',
        functionCallResultSchema,
      ),
    },
    errors: {
      ...RUNS_A_TOOL,
      400: 'INVALID_REQUEST: tool_name or arguments malformed, not JSON, or breaking the input schema',
      404: 'TOOL_NOT_FOUND: no registered tool of that name',
    },
  });
}
