import { exceptionNameSchema, MAX_MATCH_CHARS } from './tools';
import { z } from './zod';

/**
 * The planner's answer, carried by the job workflow from the plan stage to the others: a strict
 * object with every field required (nullable where absent), so its JSON Schema is accepted as
 * OpenAI's strict `response_format`.
 */

const pythonIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,63}$/, 'must be a snake_case Python identifier (lower case letters, digits, _)');

export const MAX_PLANNED_TESTS = 20;

/** JSON text parsed, or why it does not parse: free-form JSON travels as text in strict structured outputs. */
export function readJsonText(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `is not valid JSON text: ${(error as Error).message}` };
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a written test expects, as strict structured output takes it: the JSON of the return value,
 * or (the other null) the exception the call must raise, with a substring of its message.
 */
export const expectationFields = {
  expectedOutputJson: z
    .string()
    .nullable()
    .describe('the JSON of the exact return value; null when the call must raise instead'),
  raises: exceptionNameSchema
    .nullable()
    .describe('the exception the call must raise, e.g. "ValueError"; null when it returns'),
  match: z.string().max(MAX_MATCH_CHARS).nullable().describe('with raises: a substring of its message, or null'),
};

type WrittenExpectation = { expectedOutputJson: string | null; raises: string | null; match: string | null };

/** Exactly one of an output and an exception; the output is JSON text; `match` only with `raises`. */
export function checkExpectation(written: WrittenExpectation, ctx: z.RefinementCtx): void {
  if (written.expectedOutputJson !== null) {
    const expected = readJsonText(written.expectedOutputJson);
    if (!expected.ok) ctx.addIssue({ code: 'custom', path: ['expectedOutputJson'], message: expected.error });
  }
  if ((written.expectedOutputJson === null) === (written.raises === null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['raises'],
      message: 'give exactly one of expectedOutputJson (the call returns) and raises (the call raises)',
    });
  }
  if (written.match !== null && written.raises === null) {
    ctx.addIssue({ code: 'custom', path: ['match'], message: 'is only meaningful with raises: set it to null' });
  }
}

/**
 * One test the planner writes from the requirement alone, before any code exists: called with the
 * keyword arguments of `inputJson`, the tool returns the JSON of `expectedOutputJson` (numbers within
 * `tolerance`), or, with `raises` instead, raises that exception (`match`: a substring of its
 * message). Carried as written (JSON text), so a plan reads the same in the history as the model sent it.
 */
export const plannedTestSchema = z
  .strictObject({
    inputJson: z.string().describe("the JSON object of the tool's keyword arguments"),
    reasoning: z.string().describe('how the expected result follows from the requirement, worked out before it'),
    ...expectationFields,
    tolerance: z.number().min(0).describe('absolute tolerance for the numbers of the output (0: exact)'),
  })
  .superRefine((test, ctx) => {
    const input = readJsonText(test.inputJson);
    if (!input.ok) ctx.addIssue({ code: 'custom', path: ['inputJson'], message: input.error });
    else if (!isJsonObject(input.value)) {
      ctx.addIssue({ code: 'custom', path: ['inputJson'], message: 'must be a JSON object of keyword arguments' });
    }
    checkExpectation(test, ctx);
  });
export type PlannedTest = z.infer<typeof plannedTestSchema>;

export const toolPlanSchema = z.strictObject({
  functionName: pythonIdentifier,
  summary: z.string().min(1),
  parameters: z
    .array(z.strictObject({ name: pythonIdentifier, type: z.string().min(1), description: z.string() }))
    .min(1),
  returns: z.strictObject({ type: z.string().min(1), description: z.string() }),
  dependencies: z.array(z.string().min(1)),
  docQueries: z.array(z.string().min(1)).max(12),
  testCases: z.array(plannedTestSchema).min(1).max(MAX_PLANNED_TESTS),
});

/**
 * A plan as the workflow carries it. `testCases` is absent in plans made before the planner wrote
 * the tests (runs started before then, replaying from their history): the implementer writes
 * them itself for those, as it always did.
 */
export type ToolPlan = Omit<z.infer<typeof toolPlanSchema>, 'testCases'> & { testCases?: PlannedTest[] };

/** A planned test's input as the keyword arguments it names (the schema has checked it is an object). */
export function plannedTestInput(test: PlannedTest): Record<string, unknown> {
  const read = readJsonText(test.inputJson);
  return read.ok && isJsonObject(read.value) ? read.value : {};
}
