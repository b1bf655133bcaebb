import type { ExpectedBehaviour, FailedTestReport, TestCase, ValidationReport, ValidationVerdict } from '../contract';
import { compileJsonSchema, describeViolations, type SchemaCheck } from '../executor/json-schema';
import { isClientTest, type ImplementedTool } from '../llm/schemas';
import { runToolTests, type PythonError, type SandboxRunner, type TestResult } from '../sandbox/protocol';
import type { Stores } from '../store';
import { Context } from '@temporalio/activity';

export type { ExpectedBehaviour, FailedTestReport, ValidationReport, ValidationVerdict } from '../contract';

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
  /**
   * The draft's validation report (a `validation` artifact, read with loadValidationReport): every
   * failing test in full, tracebacks included. Absent when the draft passed, and in histories
   * recorded before reports were saved.
   */
  reportRef?: string;
}

const MAX_PROBLEMS_REPORTED = 10;

/** The validation report saved for a draft that did not pass (`ValidateToolOutput.reportRef`). */
export function loadValidationReport(
  artifacts: Pick<Stores['artifacts'], 'load'>,
  reportRef: string,
): Promise<ValidationReport> {
  return artifacts.load<ValidationReport>(reportRef, 'validation');
}

/** The tool's schema compiled, or why it cannot be: a schema the model got wrong is repaired like code. */
function compileOrExplain(schema: Record<string, unknown>, which: 'input' | 'output'): SchemaCheck | string {
  try {
    return compileJsonSchema(schema);
  } catch (error) {
    return `the ${which} JSON Schema itself is invalid: ${(error as Error).message}`;
  }
}

/**
 * How problems name each test: the client's acceptance examples apart from the model's own tests
 * (each numbered from 1), so the model, and a person reading a failure, can tell which of the two
 * did not hold.
 */
function testNames(testCases: TestCase[]): string[] {
  const counts = { client: 0, model: 0 };
  return testCases.map((testCase) =>
    isClientTest(testCase) ? `acceptance example ${++counts.client}` : `test ${++counts.model}`,
  );
}

/** A test's name with its input, as each problem line begins. */
const withInput = (name: string, testCase: TestCase | undefined) =>
  testCase ? `${name} (input ${JSON.stringify(testCase.input)})` : name;

/** "ValueError", or "ValueError with a message containing "…"". */
function expectedException(testCase: TestCase): string {
  const match = testCase.match === undefined ? '' : ` with a message containing ${JSON.stringify(testCase.match)}`;
  return `${testCase.raises}${match}`;
}

function expectedBehaviour(testCase: TestCase): ExpectedBehaviour {
  if (testCase.raises === undefined) return { output: testCase.expectedOutput ?? null, tolerance: testCase.tolerance };
  return { raises: testCase.raises, ...(testCase.match === undefined ? {} : { match: testCase.match }) };
}

/**
 * Every test input must fit the input schema: calls are checked against it before they run, so a
 * tool whose own tests break it could not be called as tested. An acceptance example's input is
 * the client's and stays as it is: the schema is what must change. Per test, and the schema's own
 * problem when it does not compile.
 */
function inputSchemaProblems(tool: ImplementedTool): { schema: string | null; perTest: string[][] } {
  const fitsInputSchema = compileOrExplain(tool.inputSchema, 'input');
  if (typeof fitsInputSchema === 'string') return { schema: fitsInputSchema, perTest: tool.testCases.map(() => []) };
  const perTest = tool.testCases.map((testCase) => {
    const violations = fitsInputSchema(testCase.input);
    if (violations.length === 0) return [];
    const described = describeViolations(violations, ['input']);
    return isClientTest(testCase)
      ? [`the client's input does not fit your input schema (${described}): the schema must accept it`]
      : [`the input does not fit the input schema: ${described}`];
  });
  return { schema: null, perTest };
}

function reportedException(error: PythonError | undefined): FailedTestReport['exception'] {
  if (!error) return undefined;
  return {
    type: error.type,
    message: error.message,
    traceback: error.traceback,
    ...(error.limit ? { limit: error.limit } : {}),
  };
}

/** The verdict, the problems and the report of a test run that loaded. */
function judge(tool: ImplementedTool, results: TestResult[]): { output: ValidateToolOutput; report: ValidationReport } {
  const names = testNames(tool.testCases);
  const where = (index: number) => withInput(names[index] ?? `test ${index + 1}`, tool.testCases[index]);
  const fitsOutputSchema = compileOrExplain(tool.outputSchema, 'output');
  const inputs = inputSchemaProblems(tool);
  const schemaProblems = [inputs.schema, typeof fitsOutputSchema === 'string' ? fitsOutputSchema : null].filter(
    (problem): problem is string => problem !== null,
  );
  /** per test: its schema violations, for the report */
  const violationsOf = inputs.perTest.map((problems) => [...problems]);
  const crashes: string[] = [];
  const schemaViolations: string[] = [
    ...(inputs.schema === null ? [] : [inputs.schema]),
    ...inputs.perTest.flatMap((problems, index) => problems.map((problem) => `${where(index)}: ${problem}`)),
  ];
  if (typeof fitsOutputSchema === 'string') schemaViolations.push(fitsOutputSchema);
  const mismatches: string[] = [];
  for (const result of results) {
    const testCase = tool.testCases[result.index];
    const name = where(result.index);
    const client = testCase !== undefined && isClientTest(testCase);
    if (result.outcome === 'exception') crashes.push(`${name}: raised ${result.error?.type}: ${result.error?.message}`);
    if (result.outcome === 'not_serializable')
      crashes.push(`${name}: returned a value that is not JSON-serialisable: ${String(result.actual)}`);
    const returnedOutput =
      (result.outcome === 'pass' || result.outcome === 'mismatch') && testCase?.raises === undefined;
    if (returnedOutput && typeof fitsOutputSchema !== 'string') {
      const violations = fitsOutputSchema(result.actual);
      if (violations.length) {
        const violation = `the output does not fit the output schema: ${describeViolations(violations, ['output'])}`;
        schemaViolations.push(`${name}: ${violation}`);
        violationsOf[result.index]?.push(violation);
      }
    }
    if (result.outcome === 'mismatch') {
      const mismatch = `${name}: value mismatch: expected ${JSON.stringify(testCase?.expectedOutput)}, got ${JSON.stringify(result.actual)}`;
      mismatches.push(client ? `${mismatch} (the client's expected output)` : mismatch);
    }
    if ((result.outcome === 'no_exception' || result.outcome === 'wrong_exception') && testCase) {
      const happened =
        result.outcome === 'no_exception'
          ? `it returned ${JSON.stringify(result.actual)}`
          : `it raised ${result.error?.type}: ${result.error?.message}`;
      const mismatch = `${name}: expected ${expectedException(testCase)}, but ${happened}`;
      mismatches.push(client ? `${mismatch} (the client's expected exception)` : mismatch);
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
  const output = { verdict, problems, testsRun: tool.testCases.length, testsPassed };

  const resultOf = new Map(results.map((result) => [result.index, result]));
  const failedTests = tool.testCases.flatMap((testCase, index): FailedTestReport[] => {
    const result = resultOf.get(index);
    const violations = violationsOf[index] ?? [];
    if (result?.outcome === 'pass' && violations.length === 0) return [];
    const exception = reportedException(result?.error);
    return [
      {
        name: names[index]!,
        source: testCase.source ?? 'model',
        input: testCase.input,
        expected: expectedBehaviour(testCase),
        outcome: result?.outcome ?? 'not_run',
        ...(result && 'actual' in result ? { actualOutput: result.actual ?? null } : {}),
        ...(exception ? { exception } : {}),
        schemaViolations: violations,
      },
    ];
  });
  return { output, report: { ...output, schemaProblems, failedTests } };
}

export function judgeTestRun(tool: ImplementedTool, results: TestResult[]): ValidateToolOutput {
  return judge(tool, results).output;
}

/** `sandbox`: the worker's pool of warm sandboxes; the activity's cancellation aborts the run. */
export function createValidateActivity(sandbox: SandboxRunner, stores: Stores) {
  /** A draft that did not pass gets its report, saved once per draft: a retried attempt finds the first. */
  const withReport = async (draftRef: string, report: ValidationReport): Promise<ValidateToolOutput> => {
    const { verdict, problems, testsRun, testsPassed } = report;
    const output = { verdict, problems, testsRun, testsPassed };
    if (verdict === 'passed') return output;
    const key = `${draftRef}:validation`;
    const reportRef = await stores.artifacts.saveBeside(draftRef, { kind: 'validation', key, content: report });
    return { ...output, reportRef };
  };

  return async function validateTool(input: ValidateToolInput): Promise<ValidateToolOutput> {
    const tool = await stores.artifacts.load<ImplementedTool>(input.draftRef, 'implementation');
    const signal = Context.current().cancellationSignal;
    const run = await runToolTests(sandbox, tool.code, input.functionName, tool.testCases, signal);
    const testsRun = tool.testCases.length;
    const broken = { verdict: 'crashed' as const, testsRun, testsPassed: 0, schemaProblems: [], failedTests: [] };
    if (!run.ok) {
      return withReport(input.draftRef, { ...broken, problems: [`the tool ${run.problem}`], runProblem: run.problem });
    }
    if (!run.reply.loaded) {
      const error = run.reply.loadError;
      const loadError = reportedException(error);
      return withReport(input.draftRef, {
        ...broken,
        problems: [`the module does not load: ${error?.type}: ${error?.message}`],
        ...(loadError ? { loadError } : {}),
      });
    }
    return withReport(input.draftRef, judge(tool, run.reply.results).report);
  };
}
