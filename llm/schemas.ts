import { z } from 'zod';
import type { AcceptanceExample, TestCase } from '../contract';

/**
 * Structured outputs of the model. Objects are strict and every field required, so the JSON Schema
 * sent as `response_format` is accepted by OpenAI's strict mode; free-form JSON (test inputs,
 * schemas) travels as JSON text and is parsed here.
 */

function jsonText<T extends z.ZodType>(valueSchema: T) {
  return z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not valid JSON text: ${(error as Error).message}` });
      return z.NEVER;
    }
    const parsed = valueSchema.safeParse(value);
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
  const clientTests: TestCase[] = examples.map((example) => ({
    input: example.input,
    expectedOutput: example.output,
    tolerance: example.tolerance ?? 0,
    source: 'client',
  }));
  const modelTests: TestCase[] = reply.testCases.map((testCase) => ({
    input: testCase.inputJson,
    expectedOutput: testCase.expectedOutputJson,
    tolerance: testCase.tolerance,
    source: 'model',
  }));
  return {
    code: reply.code,
    inputSchema: reply.inputSchemaJson,
    outputSchema: reply.outputSchemaJson,
    testCases: [...clientTests, ...modelTests],
    ...(attempt === undefined ? {} : { attempt }),
  };
}
