import { countSchema, isoDateSchema, jobIdSchema, jsonSchemaObject, objectIdSchema, pageOf } from './common';
import { functionFormats, OPENAI_FUNCTION_NAME } from './openai-functions';
import { toolStatusSchema } from './statuses';
import { z } from './zod';

/** Part B: the tool registry, running tools, OpenAI function calling. */

/** A Python function name, as the planner makes them (snake_case identifiers). */
export const toolNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python function name (letters, digits and "_")');

export const toolIdParamsSchema = z.object({
  toolId: objectIdSchema.describe('the 24-hex ObjectId of one version'),
});
export const toolNameParamsSchema = z.object({ name: toolNameSchema.describe('the tool’s Python function name') });

const toolSummaryShape = z.strictObject({
  toolId: z.string().describe('24-hex ObjectId of this version'),
  name: z.string().describe('the Python function name'),
  version: z.number().int().positive().describe('1, 2, … per (client, name)'),
  status: toolStatusSchema,
  description: z.string(),
  sessionId: z.string(),
  jobId: z.string(),
  createdAt: isoDateSchema,
  updatedAt: isoDateSchema,
});
export const toolSummarySchema = toolSummaryShape.openapi('ToolSummary');

export const toolVersionSchema = z.strictObject({
  toolId: z.string(),
  version: z.number().int().positive(),
  status: toolStatusSchema,
  createdAt: isoDateSchema,
});

/** Where a test comes from: one of the requirement's acceptance examples, or the model's own. */
export const testCaseSources = ['model', 'client'] as const;
export type TestCaseSource = (typeof testCaseSources)[number];

/** A Python exception class a test expects, by name: "ValueError", or dotted, "json.JSONDecodeError". */
export const exceptionNameSchema = z
  .string({ error: 'must be a string' })
  .max(200, 'must be at most 200 characters')
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'must be a Python exception class name, e.g. "ValueError" or "json.JSONDecodeError"',
  );
export const MAX_MATCH_CHARS = 1_000;

/**
 * A test a tool is validated against, as the pipeline and the sandbox carry it: called with
 * `input`, the tool returns `expectedOutput` (numbers within `tolerance`), or, with `raises`, it
 * raises that exception (that class or a subclass, by name; a dotted name by its last part) with
 * `match` in its message when given; `expectedOutput` is then absent.
 */
export const testCaseSchema = z
  .strictObject({
    input: z.record(z.string(), z.unknown()),
    expectedOutput: z.unknown().optional(),
    tolerance: z.number().min(0),
    /** absent in drafts made before acceptance examples existed: the model's */
    source: z.enum(testCaseSources).optional(),
    raises: exceptionNameSchema.optional(),
    match: z.string().max(MAX_MATCH_CHARS).optional(),
  })
  .refine((testCase) => testCase.raises === undefined || testCase.expectedOutput === undefined, {
    message: 'a test expects either an output or an exception, not both',
    path: ['raises'],
  })
  .refine((testCase) => testCase.match === undefined || testCase.raises !== undefined, {
    message: 'is only meaningful with raises',
    path: ['match'],
  });
export type TestCase = z.infer<typeof testCaseSchema>;

/**
 * A tool's test as the API shows it: the model's own tests read as they always have (no `source`),
 * an ordinary test as it always has; a test that expects an exception has `raises` (and `match`)
 * instead of `expectedOutput` and `tolerance`.
 */
export const toolTestCaseSchema = z.strictObject({
  input: z.record(z.string(), z.unknown()),
  expectedOutput: z.unknown().optional().describe('absent when the test expects an exception (`raises`)'),
  tolerance: z.number().optional(),
  source: z
    .enum(['client'])
    .optional()
    .describe('"client": one of the requirement’s acceptance examples; absent: a test the model wrote'),
  raises: z
    .string()
    .optional()
    .describe(
      'the exception the tool must raise for that input: its class or a base class, by name (a dotted name by its last part)',
    ),
  match: z.string().optional().describe('with `raises`: a substring its message must contain'),
});

/** What making a tool cost in model calls: every call the model answered for it, unusable replies included. */
export const modelUsageSchema = z
  .strictObject({
    modelCalls: countSchema.describe('calls the model answered (a refused request, e.g. a 429, is not counted)'),
    promptTokens: countSchema,
    completionTokens: countSchema,
    models: z
      .array(z.string())
      .optional()
      .describe(
        'the models those calls asked, in the order first asked (absent for tools made before it was recorded)',
      ),
  })
  .openapi('ModelUsage');
export type ModelUsage = z.infer<typeof modelUsageSchema>;

/** One version with its code, schemas and tests (not a component of its own: the shapes that extend it are whole). */
export const toolDetailsSchema = toolSummaryShape.extend({
  fileName: z.string().describe('"<name>.py"'),
  filePath: z.string().describe("names the version: never points at another version's code"),
  code: z.string().describe('the complete Python source'),
  inputSchema: jsonSchemaObject,
  outputSchema: jsonSchemaObject,
  dependencies: z.array(z.string()),
  testCases: z.array(toolTestCaseSchema),
  errors: z.array(z.string()).describe('for a failed tool: what its last attempt got wrong'),
  repairRounds: countSchema
    .optional()
    .describe(
      'implementations after the first one that validation sent back (absent for tools made before it was recorded)',
    ),
  modelUsage: modelUsageSchema
    .optional()
    .describe(
      'the model calls made for this tool in the run that made it (absent for tools made before it was recorded)',
    ),
});

export const toolSchema = toolDetailsSchema
  .extend({ versions: z.array(toolVersionSchema).describe('every version of this name, newest first') })
  .openapi('Tool');

export const toolListSchema = pageOf('tools', toolSummarySchema).openapi('ToolList');

export type ToolTestCaseView = z.infer<typeof toolTestCaseSchema>;
export type ToolSummaryView = z.infer<typeof toolSummarySchema>;
export type ToolView = z.infer<typeof toolSchema>;
export type ToolDetailsView = z.infer<typeof toolDetailsSchema>;
export type ToolList = z.infer<typeof toolListSchema>;

export const toolListQuerySchema = z.object({
  name: toolNameSchema.optional(),
  status: toolStatusSchema.optional(),
  sessionId: objectIdSchema.optional(),
  jobId: jobIdSchema.optional(),
});

export const toolVersionQuerySchema = z.object({
  version: z.coerce
    .number({ error: 'must be a positive integer' })
    .int('must be a positive integer')
    .positive('must be a positive integer')
    .optional()
    .describe('a version number; without it, the newest registered version'),
});

const jsonObject = (what: string) =>
  z.record(z.string(), z.unknown(), {
    error: (issue) => (issue.input === undefined ? 'is required' : `must be a JSON object (${what})`),
  });

export const executeToolRequestSchema = z
  .object(
    { input: jsonObject("the tool's keyword arguments, fitting its input schema") },
    { error: 'the request body must be a JSON object: { "input": { … } }' },
  )
  .openapi('ExecuteToolRequest');

export const toolExecutionSchema = z
  .strictObject({
    success: z.boolean(),
    output: z.unknown().describe("the tool's return value; null unless success"),
    error: z
      .string()
      .nullable()
      .describe(
        '"<ExceptionType>: <message>" when the tool raised; else the sandbox limit it hit or what its output got wrong',
      ),
    toolId: z.string(),
    name: z.string(),
    version: z.number().int().positive(),
    executionTimeMs: z.number().int().nonnegative(),
  })
  .openapi('ToolExecution');

export type ToolExecutionView = z.infer<typeof toolExecutionSchema>;

export const functionFormatQuerySchema = z.object({
  format: z
    .enum(functionFormats, { error: `must be one of: ${functionFormats.join(', ')}` })
    .default('responses')
    .describe('responses (default): the Responses API shape; chat: the Chat Completions shape'),
});

const functionFields = {
  name: z.string().regex(OPENAI_FUNCTION_NAME),
  description: z.string(),
  parameters: jsonSchemaObject,
  strict: z.boolean().describe("true only when OpenAI's strict mode accepts the parameters as they are"),
};

export const openAiFunctionSchema = z
  .strictObject({ type: z.literal('function'), ...functionFields })
  .openapi('OpenAiFunction');
export const chatCompletionsFunctionSchema = z
  .strictObject({ type: z.literal('function'), function: z.strictObject(functionFields) })
  .openapi('ChatCompletionsFunction');
export type OpenAiFunction = z.infer<typeof openAiFunctionSchema>;
export type ChatCompletionsFunction = z.infer<typeof chatCompletionsFunctionSchema>;
export const anyFunctionFormatSchema = z.union([openAiFunctionSchema, chatCompletionsFunctionSchema]);
export const openAiFunctionListSchema = z
  .strictObject({ functions: z.array(anyFunctionFormatSchema) })
  .openapi('OpenAiFunctionList');
export type OpenAiFunctionList = z.infer<typeof openAiFunctionListSchema>;

/** The arguments of a function_call: the JSON string the model wrote, or that object already parsed. */
const functionArgumentsSchema = z
  .union([z.string(), z.record(z.string(), z.unknown())], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : 'must be a JSON object, or a string holding one (as in a function_call)',
  })
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'must hold a JSON object' });
      return z.NEVER;
    }
    return parsed as Record<string, unknown>;
  });

export const functionCallRequestSchema = z
  .object(
    {
      tool_name: z
        .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
        .pipe(toolNameSchema),
      arguments: functionArgumentsSchema,
      call_id: z.string({ error: 'must be a string' }).max(256, 'must be at most 256 characters').optional(),
    },
    { error: 'the request body must be a JSON object: { "tool_name", "arguments", "call_id" }' },
  )
  .openapi('FunctionCallRequest');

export const functionCallResultSchema = z
  .strictObject({
    call_id: z.string().nullable().describe('as sent, null when none was'),
    result: z
      .unknown()
      .describe(
        'the tool\'s output, or { error: "<ExceptionType>: <message>" }: what goes back as function_call_output',
      ),
  })
  .openapi('FunctionCallResult');
export type FunctionCallResult = z.infer<typeof functionCallResultSchema>;
