import {
  clientLabelSchema,
  countSchema,
  isoDateSchema,
  jobIdSchema,
  MAX_METADATA_CHARS,
  pageOf,
  strictRequestObject,
  temporalRunSchema,
} from './common';
import { jobStatusSchema, toolStageSchema } from './statuses';
import { exceptionNameSchema, MAX_MATCH_CHARS, modelUsageSchema, toolTestCaseSchema } from './tools';
import { z } from './zod';

/** Jobs: the request that starts one, and every answer about one (Part A, and Part B's additions). */

export const MAX_REQUIREMENTS_PER_JOB = 50;
export const MAX_DESCRIPTION_CHARS = 10_000;
export const MAX_IO_DESCRIPTION_CHARS = 4_000;
export const MAX_IDEMPOTENCY_KEY_CHARS = 200;
export const MAX_EXAMPLES_PER_REQUIREMENT = 20;
export const MAX_MODEL_NAME_CHARS = 200;

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

/**
 * The client's own test of the tool: called with `input`, it must return `output` (numbers within
 * `tolerance`, everything else exactly, as validation compares every test), or, given `raises`
 * instead of `output`, raise that exception (its class or a subclass, by name) with `match` in its
 * message. Shown to the planner and the implementer, run in validation next to the model's tests;
 * never wrong by definition.
 */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const acceptanceExampleSchema = strictRequestObject(
  {
    input: z
      .record(z.string(), z.unknown(), {
        error: (issue) =>
          issue.input === undefined ? 'is required' : "must be a JSON object (the tool's keyword arguments)",
      })
      .describe("the tool's keyword arguments"),
    output: z
      .unknown()
      .optional()
      .describe('what the tool must return for that input (any JSON value); exactly one of `output` and `raises`'),
    raises: exceptionNameSchema
      .optional()
      .describe(
        'instead of `output`: the exception the tool must raise for that input, e.g. "ValueError" (a subclass counts; a dotted name, e.g. "json.JSONDecodeError", by its last part)',
      ),
    match: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(MAX_MATCH_CHARS, `must be at most ${MAX_MATCH_CHARS} characters`)
      .optional()
      .describe('with `raises`: a substring the exception’s message must contain'),
    tolerance: z
      .number({ error: 'must be a number' })
      .nonnegative('must not be negative')
      .optional()
      .describe('absolute tolerance for the numbers in `output` (default 0: exact)'),
  },
  'must be an object with input and output, or input and raises (and optionally match or tolerance)',
)
  .superRefine(
    (example, ctx) => {
      const returns = example.output !== undefined;
      const raises = example.raises !== undefined;
      if (!returns && !raises) {
        ctx.addIssue({
          code: 'custom',
          path: ['output'],
          message: 'is required (or, instead, raises: the exception the tool must raise for that input)',
        });
      }
      if (returns && raises) {
        ctx.addIssue({
          code: 'custom',
          path: ['raises'],
          message: 'cannot be given with output: an example either returns output or raises an exception',
        });
      }
      if (example.match !== undefined && !raises) {
        ctx.addIssue({ code: 'custom', path: ['match'], message: 'is only allowed with raises' });
      }
      if (example.tolerance !== undefined && raises) {
        ctx.addIssue({
          code: 'custom',
          path: ['tolerance'],
          message: 'applies to the numbers of output: an example that raises has none',
        });
      }
      // also when another field is wrong, so an example missing both input and output names both
    },
    { when: (payload) => isPlainObject(payload.value) },
  )
  .openapi('AcceptanceExample', {
    oneOf: [{ required: ['output'] }, { required: ['raises'] }],
  });
export type AcceptanceExample = z.output<typeof acceptanceExampleSchema>;

export const toolRequirementSchema = z
  .object(
    {
      description: requiredText(MAX_DESCRIPTION_CHARS).describe('what the tool should do'),
      input: requiredText(MAX_IO_DESCRIPTION_CHARS).describe('its input, in words'),
      output: requiredText(MAX_IO_DESCRIPTION_CHARS).describe('its output, in words'),
      examples: z
        .array(acceptanceExampleSchema, { error: 'must be an array of examples' })
        .max(MAX_EXAMPLES_PER_REQUIREMENT, `must contain at most ${MAX_EXAMPLES_PER_REQUIREMENT} examples`)
        .optional()
        .describe('acceptance examples: the tool is registered only if it passes them as well as its own tests'),
    },
    { error: 'must be an object with description, input and output' },
  )
  .openapi('ToolRequirement');
export type ToolRequirement = z.output<typeof toolRequirementSchema>;

export const toolGenerationRequestSchema = z
  .object(
    {
      toolRequirements: z
        .array(toolRequirementSchema, {
          error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of tool requirements'),
        })
        .min(1, 'must contain at least one requirement')
        .max(MAX_REQUIREMENTS_PER_JOB, `must contain at most ${MAX_REQUIREMENTS_PER_JOB} requirements`),
      metadata: z
        .object(
          {
            sessionId: optionalText(MAX_METADATA_CHARS).describe("the client's own session label"),
            clientId: optionalText(MAX_METADATA_CHARS).describe(
              'the client’s own user label: the `user` of /sessions/user/{user_id}',
            ),
          },
          { error: 'must be an object' },
        )
        .optional(),
      options: strictRequestObject(
        {
          reuse: z
            .boolean({ error: 'must be true or false' })
            .optional()
            .describe('answer requirements equal to a registered tool’s with that tool (default true)'),
          model: requiredText(MAX_MODEL_NAME_CHARS)
            .optional()
            .describe(
              'the model the job’s plans and implementations ask (one of LLM_ALLOWED_MODELS when the service sets it); default: the configured ones',
            ),
        },
        'must be an object',
      ).optional(),
    },
    { error: 'the request body must be a JSON object' },
  )
  .openapi('ToolGenerationRequest');
export type ToolGenerationRequest = z.infer<typeof toolGenerationRequestSchema>;

export const idempotencyKeyHeaderSchema = z.object({
  'Idempotency-Key': z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_IDEMPOTENCY_KEY_CHARS, `must be at most ${MAX_IDEMPOTENCY_KEY_CHARS} characters`)
    .regex(/^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/, 'must be printable ASCII, without leading or trailing spaces')
    .optional()
    .describe(
      'the same key from the same client within 24 h answers the same job (200) and starts nothing; with a different body, 409',
    ),
});

export const jobProgressSchema = z
  .strictObject({
    total: countSchema.describe('tools requested'),
    completed: countSchema.describe('generated (or reused) successfully'),
    failed: countSchema,
    inProgress: countSchema,
    currentTool: z.string().nullable().optional().describe('the tool worked on last'),
  })
  .openapi('JobProgress');
export type JobProgress = z.infer<typeof jobProgressSchema>;

/** What a test expects: a return value, or an exception (`raises`, with `match` in its message). */
export const testExpectationSchema = z.strictObject({
  expectedOutput: z.unknown().optional().describe('absent when the test expects an exception'),
  raises: z.string().optional(),
  match: z.string().optional(),
});
export type TestExpectation = z.infer<typeof testExpectationSchema>;

/**
 * A model-written test that a repair changed: the implementer may correct the expected result of a
 * test written before the code, only with a reason; the client's acceptance examples are never changed.
 */
export const testCorrectionSchema = z
  .strictObject({
    test: z.string().describe('the test as validation names it, e.g. "test 2"'),
    attempt: z.number().int().positive().describe('the implementation attempt that made the correction'),
    before: testExpectationSchema,
    after: testExpectationSchema,
    reason: z.string().describe('why the test, not the code, was wrong'),
  })
  .openapi('TestCorrection');
export type TestCorrection = z.infer<typeof testCorrectionSchema>;

export const toolFileSchema = z
  .strictObject({
    toolId: z.string().describe('MongoDB ObjectId as a 24-hex string'),
    fileName: z.string().describe('e.g. "calculate_molecular_weight.py"'),
    filePath: z.string(),
    description: z.string(),
    code: z.string().describe('the complete Python source'),
    endpoint: z.string().nullable().optional(),
    registered: z.boolean(),
    createdAt: isoDateSchema,
    testCases: z
      .array(toolTestCaseSchema)
      .optional()
      .describe('every test the tool passed; `source: "client"` marks the requirement’s acceptance examples'),
    modelUsage: modelUsageSchema.optional().describe('the model calls made for this tool'),
    testCorrections: z
      .array(testCorrectionSchema)
      .optional()
      .describe('the model’s tests that a repair corrected, each with its reason (absent: none were)'),
  })
  .openapi('ToolFile');
export type ToolFile = z.infer<typeof toolFileSchema>;

/** not a component itself: a session's failures extend it */
export const toolGenerationFailureShape = z.strictObject({
  toolRequirement: toolRequirementSchema,
  error: z.string(),
  code: z.string().optional().describe('what kind of failure, e.g. GENERATION_TIMEOUT or VALIDATION_FAILED'),
  lastReply: z
    .string()
    .optional()
    .describe('the start of the model’s last unusable reply, when such a reply ended the tool'),
});
export const toolGenerationFailureSchema = toolGenerationFailureShape.openapi('ToolGenerationFailure');
export type ToolGenerationFailure = z.infer<typeof toolGenerationFailureSchema>;

export const generationSummarySchema = z
  .strictObject({
    totalRequested: countSchema,
    successful: countSchema,
    failed: countSchema,
    totalTokens: countSchema.optional().describe('model tokens spent on the job'),
    reused: countSchema
      .optional()
      .describe('requirements answered with an earlier job’s registered tool, without the model'),
    modelCalls: countSchema
      .optional()
      .describe(
        'model calls answered for the job, over all its runs (unusable replies included, refused requests such as a 429 not)',
      ),
    promptTokens: countSchema.optional().describe('prompt tokens of those calls'),
    completionTokens: countSchema.optional().describe('completion tokens of those calls'),
  })
  .openapi('GenerationSummary');
export type GenerationSummary = z.infer<typeof generationSummarySchema>;

export const jobErrorSchema = z
  .strictObject({ code: z.string().describe('an ErrorCode, or the failure type'), message: z.string() })
  .openapi('JobError');
export type JobError = z.infer<typeof jobErrorSchema>;

const jobResponseShape = z.strictObject({
  jobId: z.string(),
  status: jobStatusSchema,
  createdAt: isoDateSchema,
  updatedAt: isoDateSchema,
  progress: jobProgressSchema,
  toolFiles: z.array(toolFileSchema).optional().describe('when completed: the registered tools'),
  failures: z
    .array(toolGenerationFailureSchema)
    .optional()
    .describe('when completed: the tools that could not be made'),
  summary: generationSummarySchema.optional().describe('when completed'),
  error: jobErrorSchema.optional().describe('when failed: why'),
  temporal: temporalRunSchema,
});
export const jobResponseSchema = jobResponseShape.openapi('JobResponse');
export type JobResponse = z.infer<typeof jobResponseSchema>;

export const jobListQuerySchema = z.object({
  status: jobStatusSchema.optional(),
  clientId: clientLabelSchema.optional().describe("the job's metadata.clientId"),
});

export const jobListItemSchema = jobResponseShape
  .pick({ jobId: true, status: true, createdAt: true, updatedAt: true, progress: true, temporal: true })
  .extend({ clientId: z.string().nullable().describe("the job's metadata.clientId") })
  .openapi('JobListItem');
export type JobListItem = z.infer<typeof jobListItemSchema>;

export const jobListSchema = pageOf('jobs', jobListItemSchema).openapi('JobList');
export type JobList = z.infer<typeof jobListSchema>;

export const jobIdParamsSchema = z.object({ jobId: jobIdSchema });

export const lastEventIdHeaderSchema = z.object({
  'Last-Event-ID': z.string().optional().describe('the id of the last event received: the stream resumes after it'),
});

/** Server-Sent Event `stage` (id `<run>-<seq>`): one tool's stage changed. */
export const jobStageEventSchema = z
  .strictObject({
    jobId: z.string(),
    seq: z.number().int().positive().describe('orders the events of one run'),
    requirementIndex: countSchema,
    toolName: z.string().nullable().describe('the planned function name, once planned'),
    stage: toolStageSchema,
    attempts: countSchema.describe('implementation attempts so far: 1 + repairs'),
  })
  .openapi('JobStageEvent');
export type JobStageEvent = z.infer<typeof jobStageEventSchema>;

/** Server-Sent Event `job` (id `<run>-final`): the job ended; the stream closes after it. */
export const jobEndEventSchema = jobResponseShape
  .pick({ jobId: true, status: true, progress: true, error: true })
  .openapi('JobEndEvent');
export type JobEndEvent = z.infer<typeof jobEndEventSchema>;
