import { z } from 'zod';
import {
  checkExpectation,
  expectationFields,
  readJsonText,
  type AcceptanceExample,
  type PlannedTest,
  type TestCase,
  type TestCorrection,
  type TestExpectation,
} from '../contract';

/**
 * Structured outputs of the model. Objects are strict and every field required, so the JSON Schema
 * sent as `response_format` is accepted by OpenAI's strict mode; free-form JSON (test inputs,
 * schemas) travels as JSON text and is parsed here.
 */

function jsonText<T extends z.ZodType>(valueSchema: T) {
  return z.string().transform((text, ctx): z.infer<T> => {
    const read = readJsonText(text);
    if (!read.ok) {
      ctx.addIssue({ code: 'custom', message: read.error });
      return z.NEVER;
    }
    const parsed = valueSchema.safeParse(read.value);
    if (!parsed.success) {
      ctx.addIssue({
        code: 'custom',
        message: `JSON does not have the expected shape: ${z.prettifyError(parsed.error)}`,
      });
      return z.NEVER;
    }
    return parsed.data;
  });
}

const jsonObject = z.record(z.string(), z.unknown());

export const toolImplementationSchema = z.strictObject({
  code: z.string().min(1),
  inputSchemaJson: jsonText(jsonObject),
  outputSchemaJson: jsonText(jsonObject),
  testCases: z
    .array(
      z.strictObject({
        inputJson: jsonText(jsonObject),
        expectedOutputJson: jsonText(z.unknown()),
        tolerance: z.number().min(0),
      }),
    )
    .min(1),
});
export type ToolImplementation = z.output<typeof toolImplementationSchema>;

export interface ImplementedTool {
  code: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  /** the client's acceptance examples first, then the model's own tests */
  testCases: TestCase[];
  /** which implementation this is: 1, then one more per repair (absent in drafts made before it was kept) */
  attempt?: number;
  /** every correction of a model-written test so far, this attempt's last (absent: none) */
  testCorrections?: TestCorrection[];
}

export function isClientTest(testCase: TestCase): boolean {
  return testCase.source === 'client';
}

/**
 * The model's reply as a draft to validate. The client's acceptance examples are its first tests,
 * run exactly as given, so the model can neither drop nor change them.
 */
export function toImplementedTool(
  reply: ToolImplementation,
  examples: AcceptanceExample[] = [],
  attempt?: number,
): ImplementedTool {
  // An example that raises expects that exception instead of an output.
  const clientTests: TestCase[] = examples.map((example) =>
    example.raises === undefined
      ? { input: example.input, expectedOutput: example.output, tolerance: example.tolerance ?? 0, source: 'client' }
      : {
          input: example.input,
          tolerance: 0,
          source: 'client',
          raises: example.raises,
          ...(example.match === undefined ? {} : { match: example.match }),
        },
  );
  const modelTests: TestCase[] = reply.testCases.map((testCase) => ({
    input: testCase.inputJson,
    expectedOutput: testCase.expectedOutputJson,
    tolerance: testCase.tolerance,
    source: 'model',
  }));
  return {
    code: stripCodeFences(reply.code),
    inputSchema: reply.inputSchemaJson,
    outputSchema: reply.outputSchemaJson,
    testCases: [...clientTests, ...modelTests],
    ...(attempt === undefined ? {} : { attempt }),
  };
}

/**
 * A model that wraps its code in Markdown (```python … ```) inside the code field: the fences are
 * not Python, so they go before validation. Only a fence that opens the field is taken for one.
 */
export function stripCodeFences(code: string): string {
  const opened = /^\s*```[A-Za-z0-9_+.-]*[^\S\n]*\n/.exec(code);
  if (!opened) return code;
  const body = code.slice(opened[0].length).replace(/\n?[^\S\n]*```\s*$/, '');
  return `${body.trimEnd()}\n`;
}

// ---- the implementer's reply when the plan carries the tests (written apart from the code) ----

const toolCodeShape = {
  code: z.string().min(1),
  inputSchemaJson: jsonText(jsonObject),
  outputSchemaJson: jsonText(jsonObject),
};

/** The first implementation when the tests came with the plan: the code and its two schemas, no tests. */
export const toolCodeSchema = z.strictObject(toolCodeShape);
export type ToolCode = z.output<typeof toolCodeSchema>;

export const MAX_TEST_CORRECTIONS = 20;

/** A repair's correction of one of the model's own tests: its new expected result, and why. */
export const testCorrectionReplySchema = z
  .strictObject({
    test: z.string().min(1).describe('the test as the failures name it, e.g. "test 2"'),
    reason: z.string().min(1).describe('why the test, not the code, is wrong'),
    ...expectationFields,
  })
  .superRefine(checkExpectation);
export type TestCorrectionReply = z.output<typeof testCorrectionReplySchema>;

/** A repair when the tests came with the plan: the corrections of the model's own tests first, then the code. */
export const toolRepairSchema = z.strictObject({
  testCorrections: z.array(testCorrectionReplySchema).max(MAX_TEST_CORRECTIONS),
  ...toolCodeShape,
});
export type ToolRepair = z.output<typeof toolRepairSchema>;

/** A planned test as validation runs it: the model's, written from the requirement before any code. */
export function plannedTestCase(test: PlannedTest): TestCase {
  const input = readJsonText(test.inputJson);
  return {
    input: input.ok ? (input.value as Record<string, unknown>) : {},
    ...expectationOf(test),
    tolerance: test.tolerance,
    source: 'model',
  };
}

/** What a test (or a correction of one) expects, in the draft's terms. */
function expectationOf(written: Pick<PlannedTest, 'expectedOutputJson' | 'raises' | 'match'>): TestExpectation {
  if (written.raises !== null) {
    return { raises: written.raises, ...(written.match === null ? {} : { match: written.match }) };
  }
  const expected = readJsonText(written.expectedOutputJson ?? 'null');
  return { expectedOutput: expected.ok ? expected.value : null };
}

function expectationOfTest(testCase: TestCase): TestExpectation {
  if (testCase.raises !== undefined) {
    return { raises: testCase.raises, ...(testCase.match === undefined ? {} : { match: testCase.match }) };
  }
  return { expectedOutput: testCase.expectedOutput };
}

/** A test with another expectation: its output, or its exception, never both. */
function withExpectation(testCase: TestCase, expectation: TestExpectation): TestCase {
  const { expectedOutput: _output, raises: _raises, match: _match, ...rest } = testCase;
  return { ...rest, ...expectation };
}

/** How validation names each test: the client's "acceptance example N", the model's "test N" (each from 1). */
export function testNamesOf(testCases: TestCase[]): string[] {
  const counts = { client: 0, model: 0 };
  return testCases.map((testCase) =>
    isClientTest(testCase) ? `acceptance example ${++counts.client}` : `test ${++counts.model}`,
  );
}

/**
 * What is wrong with a repair's corrections, as a sentence for the model, or null: a correction names
 * one of the model's tests, once, with a reason; the client's acceptance examples are never changed.
 */
export function correctionProblem(corrections: TestCorrectionReply[], testCases: TestCase[]): string | null {
  const names = testNamesOf(testCases);
  const modelTests = testCases.filter((testCase) => !isClientTest(testCase)).length;
  const seen = new Set<string>();
  for (const correction of corrections) {
    const name = correction.test.trim().toLowerCase();
    if (/^acceptance example \d+$/.test(name)) {
      return `testCorrections names ${name}: the acceptance examples are the client's own tests, correct by definition, and are never changed; remove that correction and change the code (or a schema) so it passes`;
    }
    if (!names.includes(name) || !name.startsWith('test ')) {
      const known = modelTests === 0 ? 'there are none' : `they are test 1 to test ${modelTests}`;
      return `testCorrections names "${correction.test}", which is not one of your tests (${known}); name a test exactly as the failures do, e.g. "test 1"`;
    }
    if (seen.has(name)) return `testCorrections corrects ${name} twice: give one correction per test`;
    seen.add(name);
    if (correction.reason.trim().length === 0) {
      return `the correction of ${name} has no reason: say why the test, not the code, is wrong, or remove it`;
    }
  }
  return null;
}

/**
 * The tests with the repair's corrections made, and the record of each (which test, its old and new
 * expectation, why, in which attempt). Call after `correctionProblem` found none; a correction that
 * changes nothing is not recorded.
 */
export function applyTestCorrections(
  testCases: TestCase[],
  corrections: TestCorrectionReply[],
  attempt: number,
): { testCases: TestCase[]; made: TestCorrection[] } {
  const names = testNamesOf(testCases);
  const corrected = [...testCases];
  const made: TestCorrection[] = [];
  for (const correction of corrections) {
    const name = correction.test.trim().toLowerCase();
    const index = names.indexOf(name);
    const testCase = corrected[index];
    if (index === -1 || !testCase || isClientTest(testCase)) continue;
    const before = expectationOfTest(testCase);
    const after = expectationOf(correction);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    corrected[index] = withExpectation(testCase, after);
    made.push({ test: name, attempt, before, after, reason: correction.reason.trim() });
  }
  return { testCases: corrected, made };
}

/**
 * A draft from the implementer's code and the tests written apart from it: the client's acceptance
 * examples first (as toImplementedTool makes them), then the model's tests as they stand after
 * every correction so far, which the draft records.
 */
export function toDraft(
  reply: ToolCode,
  modelTests: TestCase[],
  examples: AcceptanceExample[] = [],
  attempt?: number,
  testCorrections: TestCorrection[] = [],
): ImplementedTool {
  const made = toImplementedTool({ ...reply, testCases: [] }, examples, attempt);
  return {
    ...made,
    testCases: [...made.testCases, ...modelTests],
    ...(testCorrections.length ? { testCorrections } : {}),
  };
}
