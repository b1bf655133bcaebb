import { z } from 'zod';
import { functionFormats, OPENAI_FUNCTION_NAME } from '../executor/openai-functions';

/** The HTTP contract (Part A of the spec) as zod schemas and TypeScript types. */

export const MAX_REQUIREMENTS_PER_JOB = 50;
export const MAX_DESCRIPTION_CHARS = 10_000;
export const MAX_IO_DESCRIPTION_CHARS = 4_000;
export const MAX_METADATA_CHARS = 200;

function requiredText(maxChars: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`);
}

function optionalText(maxChars: number) {
  return z.string({ error: 'must be a string' }).max(maxChars, `must be at most ${maxChars} characters`).optional();
}

export const toolRequirementSchema = z.object(
  {
    description: requiredText(MAX_DESCRIPTION_CHARS),
    input: requiredText(MAX_IO_DESCRIPTION_CHARS),
    output: requiredText(MAX_IO_DESCRIPTION_CHARS),
  },
  { error: 'must be an object with description, input and output' },
);

export const toolGenerationRequestSchema = z.object(
  {
    toolRequirements: z
      .array(toolRequirementSchema, {
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of tool requirements'),
      })
      .min(1, 'must contain at least one requirement')
      .max(MAX_REQUIREMENTS_PER_JOB, `must contain at most ${MAX_REQUIREMENTS_PER_JOB} requirements`),
    metadata: z
      .object(
        { sessionId: optionalText(MAX_METADATA_CHARS), clientId: optionalText(MAX_METADATA_CHARS) },
        { error: 'must be an object' },
      )
      .optional(),
    options: z
      .object(
        {
          reuse: z
            .boolean({ error: 'must be true or false' })
            .optional()
            .describe('answer requirements equal to a registered tool’s with that tool (default true)'),
        },
        { error: 'must be an object' },
      )
      .strict()
      .optional(),
  },
  { error: 'the request body must be a JSON object' },
);

export type ToolGenerationRequest = z.infer<typeof toolGenerationRequestSchema>;

export const jobIdSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"');

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobProgress {
  total: number;
  completed: number;
  failed: number;
  inProgress: number;
  currentTool?: string | null;
}

export interface ToolFile {
  toolId: string;
  fileName: string;
  filePath: string;
  description: string;
  code: string;
  endpoint?: string | null;
  registered: boolean;
  createdAt: string;
}

export interface ToolGenerationFailure {
  toolRequirement: { description: string; input: string; output: string };
  error: string;
  code?: string;
}

export interface GenerationSummary {
  totalRequested: number;
  successful: number;
  failed: number;
  totalTokens?: number;
  /** requirements answered with an earlier job's registered tool, without the model */
  reused?: number;
}

export interface JobResponse {
  jobId: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  progress: JobProgress;
  toolFiles?: ToolFile[];
  failures?: ToolGenerationFailure[];
  summary?: GenerationSummary;
  error?: { code: string; message: string };
  temporal: { workflowId: string; runId: string | null; uiUrl: string };
}

export interface HealthResponse {
  status: 'healthy' | 'unhealthy';
  timestamp: string;
  version: string;
  database: 'connected' | 'disconnected';
  temporal: 'connected' | 'disconnected';
}

export const sessionStatuses = [
  'pending',
  'planning',
  'searching',
  'implementing',
  'executing',
  'completed',
  'failed',
  'cancelled',
] as const;
export const sessionStatusSchema = z.enum(sessionStatuses, { error: `must be one of: ${sessionStatuses.join(', ')}` });

// ---------------------------------------------------------------------------------------------
// Part B: the tool registry and running tools

export const toolStatuses = ['draft', 'registered', 'deprecated', 'failed'] as const;
export const toolStatusSchema = z.enum(toolStatuses, { error: `must be one of: ${toolStatuses.join(', ')}` });

export const objectIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, 'must be 24 hexadecimal characters (a MongoDB ObjectId)')
  .transform((id) => id.toLowerCase());

/** A Python function name, as the planner makes them (snake_case identifiers). */
export const toolNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python function name (letters, digits and "_")');

const isoDate = z.string().describe('ISO 8601 date and time');
const jsonSchemaObject = z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12)');

export const toolSummarySchema = z.object({
  toolId: z.string().describe('24-hex ObjectId of this version'),
  name: z.string().describe('the Python function name'),
  version: z.number().int().positive().describe('1, 2, … per (client, name)'),
  status: z.enum(toolStatuses),
  description: z.string(),
  sessionId: z.string(),
  jobId: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const toolVersionSchema = z.object({
  toolId: z.string(),
  version: z.number().int().positive(),
  status: z.enum(toolStatuses),
  createdAt: isoDate,
});

export const toolTestCaseSchema = z.object({
  input: z.record(z.string(), z.unknown()),
  expectedOutput: z.unknown(),
  tolerance: z.number().optional(),
});

/** One version with its code, schemas and tests. */
export const toolDetailsSchema = toolSummarySchema.extend({
  fileName: z.string().describe('"<name>.py"'),
  filePath: z.string().describe("names the version: never points at another version's code"),
  code: z.string().describe('the complete Python source'),
  inputSchema: jsonSchemaObject,
  outputSchema: jsonSchemaObject,
  dependencies: z.array(z.string()),
  testCases: z.array(toolTestCaseSchema),
  /** for a failed tool: what its last attempt got wrong */
  errors: z.array(z.string()),
});

export const toolSchema = toolDetailsSchema.extend({
  versions: z.array(toolVersionSchema).describe('every version of this name, newest first'),
});

/** A session's tools: what it generated (registered or failed) and what it reused. */
export const sessionToolsSchema = z.object({
  sessionId: z.string(),
  tools: z.array(toolDetailsSchema.extend({ registered: z.boolean().describe('status is registered') })),
});

export const toolListSchema = z.object({ tools: z.array(toolSummarySchema), nextCursor: z.string().nullable() });

export type ToolSummaryView = z.infer<typeof toolSummarySchema>;
export type ToolView = z.infer<typeof toolSchema>;
export type ToolDetailsView = z.infer<typeof toolDetailsSchema>;

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
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// Part B: running tools, OpenAI function calling

const jsonObject = (what: string) =>
  z.record(z.string(), z.unknown(), {
    error: (issue) => (issue.input === undefined ? 'is required' : `must be a JSON object (${what})`),
  });

export const executeToolRequestSchema = z.object(
  { input: jsonObject("the tool's keyword arguments, fitting its input schema") },
  { error: 'the request body must be a JSON object: { "input": { … } }' },
);

export const toolExecutionSchema = z.object({
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
});

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

export const openAiFunctionSchema = z.object({ type: z.literal('function'), ...functionFields });
export const chatCompletionsFunctionSchema = z.object({
  type: z.literal('function'),
  function: z.object(functionFields),
});
export const openAiFunctionListSchema = z.object({
  functions: z.array(z.union([openAiFunctionSchema, chatCompletionsFunctionSchema])),
});

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

export const functionCallRequestSchema = z.object(
  {
    tool_name: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .pipe(toolNameSchema),
    arguments: functionArgumentsSchema,
    call_id: z.string({ error: 'must be a string' }).max(256, 'must be at most 256 characters').optional(),
  },
  { error: 'the request body must be a JSON object: { "tool_name", "arguments", "call_id" }' },
);

export const functionCallResultSchema = z.object({
  call_id: z.string().nullable().describe('as sent, null when none was'),
  result: z
    .unknown()
    .describe('the tool\'s output, or { error: "<ExceptionType>: <message>" }: what goes back as function_call_output'),
});
