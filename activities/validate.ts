import type { TestCase } from '../contract';
import { compileJsonSchema, describeViolations, type SchemaCheck } from '../executor/json-schema';
import { isClientTest, type ImplementedTool } from '../llm/schemas';
import { runToolTests, type SandboxRunner, type TestResult } from '../sandbox/protocol';
import type { Stores } from '../store';
import { Context } from '@temporalio/activity';

/**
 * What kind of failure it was decides the repair: a crash or a schema violation means the code
 * is wrong; a value mismatch may just as well mean the model's expected value is wrong.
 */
export type ValidationVerdict = 'passed' | 'crashed' | 'schema_violation' | 'wrong_values';

export interface ValidateToolInput {
  functionName: string;
  draftRef: string;
}

export interface ValidateToolOutput {
  verdict: ValidationVerdict;
  /** one line per problem, for the model on a repair and for a person reading the failure */
  problems: string[];
  testsRun: number;
  testsPassed: number;
}

const MAX_PROBLEMS_REPORTED = 10;

/** The tool's schema compiled, or why it cannot be: a schema the model got wrong is repaired like code. */
function compileOrExplain(schema: Record<string, unknown>, which: 'input' | 'output'): SchemaCheck | string {
  try {
    return compileJsonSchema(schema);
  } catch (error) {
    return `the ${which} JSON Schema itself is invalid: ${(error as Error).message}`;
  }
}

/**
 * How problems name each test, with its input: the client's acceptance examples apart from the
 * model's own tests (each numbered from 1), so the model, and a person reading a failure, can
 * tell which of the two did not hold.
 */
function testNames(testCases: TestCase[]): string[] {
  const counts = { client: 0, model: 0 };
  return testCases.map((testCase) => {
    const name = isClientTest(testCase) ? `acceptance example ${++counts.client}` : `test ${++counts.model}`;
    return `${name} (input ${JSON.stringify(testCase.input)})`;
  });
}

/**
 * Every test input must fit the input schema: calls are checked against it before they run, so a
 * tool whose own tests break it could not be called as tested. An acceptance example's input is
 * the client's and stays as it is: the schema is what must change.
 */
function inputSchemaProblems(tool: ImplementedTool, names: string[]): string[] {
  const fitsInputSchema = compileOrExplain(tool.inputSchema, 'input');
  if (typeof fitsInputSchema === 'string') return [fitsInputSchema];
  return tool.testCases.flatMap((testCase, index) => {
    const violations = fitsInputSchema(testCase.input);
    if (violations.length === 0) return [];
    const described = describeViolations(violations, ['input']);
    return isClientTest(testCase)
      ? [`${names[index]}: the client's input does not fit your input schema (${described}): the schema must accept it`]
      : [`${names[index]}: the input does not fit the input schema: ${described}`];
  });
}

export function judgeTestRun(tool: ImplementedTool, results: TestResult[]): ValidateToolOutput {
  const names = testNames(tool.testCases);
  const fitsOutputSchema = compileOrExplain(tool.outputSchema, 'output');
  const crashes: string[] = [];
  const schemaViolations: string[] = inputSchemaProblems(tool, names);
  if (typeof fitsOutputSchema === 'string') schemaViolations.push(fitsOutputSchema);
  const mismatches: string[] = [];
  for (const result of results) {
    const testCase = tool.testCases[result.index];
    const where = names[result.index] ?? `test ${result.index + 1}`;
    if (result.outcome === 'exception')
      crashes.push(`${where}: raised ${result.error?.type}: ${result.error?.message}`);
    if (result.outcome === 'not_serializable')
      crashes.push(`${where}: returned a value that is not JSON-serialisable: ${String(result.actual)}`);
    if ((result.outcome === 'pass' || result.outcome === 'mismatch') && typeof fitsOutputSchema !== 'string') {
      const violations = fitsOutputSchema(result.actual);
      if (violations.length) {
        const described = describeViolations(violations, ['output']);
        schemaViolations.push(`${where}: the output does not fit the output schema: ${described}`);
      }
    }
    if (result.outcome === 'mismatch') {
      const mismatch = `${where}: value mismatch: expected ${JSON.stringify(testCase?.expectedOutput)}, got ${JSON.stringify(result.actual)}`;
      mismatches.push(testCase && isClientTest(testCase) ? `${mismatch} (the client's expected output)` : mismatch);
    }
  }
  const testsPassed = results.filter((result) => result.outcome === 'pass').length;
  const verdict: ValidationVerdict = crashes.length
    ? 'crashed'
    : schemaViolations.length
      ? 'schema_violation'
      : mismatches.length || testsPassed < tool.testCases.length
        ? 'wrong_values'
        : 'passed';
  const problems = [...crashes, ...schemaViolations, ...mismatches].slice(0, MAX_PROBLEMS_REPORTED);
  return { verdict, problems, testsRun: tool.testCases.length, testsPassed };
}

/** `sandbox`: the worker's pool of warm sandboxes; the activity's cancellation aborts the run. */
export function createValidateActivity(sandbox: SandboxRunner, stores: Stores) {
  return async function validateTool(input: ValidateToolInput): Promise<ValidateToolOutput> {
    const tool = await stores.artifacts.load<ImplementedTool>(input.draftRef, 'implementation');
    const signal = Context.current().cancellationSignal;
    const run = await runToolTests(sandbox, tool.code, input.functionName, tool.testCases, signal);
    const testsRun = tool.testCases.length;
    if (!run.ok) return { verdict: 'crashed', problems: [`the tool ${run.problem}`], testsRun, testsPassed: 0 };
    if (!run.reply.loaded) {
      const error = run.reply.loadError;
      return {
        verdict: 'crashed',
        problems: [`the module does not load: ${error?.type}: ${error?.message}`],
        testsRun,
        testsPassed: 0,
      };
    }
    return judgeTestRun(tool, run.reply.results);
  };
}
