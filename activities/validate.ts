import type { ImplementedTool } from '../llm/schemas';
import { runToolTests, type TestResult } from '../sandbox/protocol';
import type { Sandbox } from '../sandbox/runner';

export interface ValidateToolInput {
  functionName: string;
  implementation: ImplementedTool;
}

export interface ValidateToolOutput {
  passed: boolean;
  /** one line per problem, for the model on a repair and for a person reading the failure */
  problems: string[];
  testsRun: number;
  testsPassed: number;
}

function describeResult(result: TestResult, implementation: ImplementedTool): string | null {
  const testCase = implementation.testCases[result.index];
  const label = `test ${result.index + 1} (input ${JSON.stringify(testCase?.input)})`;
  switch (result.outcome) {
    case 'pass':
      return null;
    case 'mismatch':
      return `${label}: value mismatch: expected ${JSON.stringify(testCase?.expectedOutput)}, got ${JSON.stringify(result.actual)}`;
    case 'exception':
      return `${label}: raised ${result.error?.type}: ${result.error?.message}`;
    case 'not_serializable':
      return `${label}: returned a value that is not JSON-serialisable: ${String(result.actual)}`;
  }
}

export function createValidateActivity(sandbox: Sandbox) {
  return async function validateTool(input: ValidateToolInput): Promise<ValidateToolOutput> {
    const { implementation, functionName } = input;
    const run = await runToolTests(sandbox, implementation.code, functionName, implementation.testCases);
    const testsRun = implementation.testCases.length;
    if (!run.ok) return { passed: false, problems: [`the tool ${run.problem}`], testsRun, testsPassed: 0 };
    if (!run.reply.loaded) {
      const error = run.reply.loadError;
      return {
        passed: false,
        problems: [`the module does not load: ${error?.type}: ${error?.message}`],
        testsRun,
        testsPassed: 0,
      };
    }
    const problems = run.reply.results
      .map((result) => describeResult(result, implementation))
      .filter((problem): problem is string => problem !== null);
    const testsPassed = run.reply.results.filter((result) => result.outcome === 'pass').length;
    return { passed: problems.length === 0 && testsPassed === testsRun, problems, testsRun, testsPassed };
  };
}
