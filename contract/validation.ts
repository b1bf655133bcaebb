import type { TestCaseSource } from './tools';

/**
 * What validation found wrong with an implementation, in full: saved as an artifact beside the
 * draft by the validate activity (activities/validate.ts), for the repair prompt. The activity's
 * `problems` lines are the short form of the same findings. Here (the bottom layer) so the prompt
 * (llm/) can read it as well as the activities.
 */

/**
 * What kind of failure it was decides the repair: a crash or a schema violation means the code
 * is wrong; a value mismatch may just as well mean the model's expected value is wrong.
 */
export type ValidationVerdict = 'passed' | 'crashed' | 'schema_violation' | 'wrong_values';

/** An exception the tool raised, as the sandbox's harness describes it. */
export interface ReportedException {
  type: string;
  message: string;
  /** the tool's own frames (and the innermost one), the last ~20 lines, at most ~2 KB */
  traceback: string;
  /** the sandbox limit the exception most likely comes from (memory, processes, file_size) */
  limit?: string;
}

/** What the test expects: a return value (numbers within `tolerance`) or an exception. */
export type ExpectedBehaviour =
  | { output: unknown; tolerance: number }
  | {
      /** the exception's class or a base class, by name */
      raises: string;
      /** a substring its message must contain */
      match?: string;
    };

/** How a test went. */
export type TestRunOutcome =
  /** it returned what it should, or raised what it should */
  | 'pass'
  /** it returned another value */
  | 'mismatch'
  /** it raised where it should have returned */
  | 'exception'
  /** it returned a value that is not JSON */
  | 'not_serializable'
  /** it returned where it should have raised */
  | 'no_exception'
  /** it raised another exception than the one it should have, or one without the expected message */
  | 'wrong_exception'
  /** the harness gave no result for it */
  | 'not_run';

export interface FailedTestReport {
  /** as the problems name it: "acceptance example 2", "test 1" */
  name: string;
  source: TestCaseSource;
  input: Record<string, unknown>;
  expected: ExpectedBehaviour;
  outcome: TestRunOutcome;
  /** what it returned (for not_serializable: the value's repr) */
  actualOutput?: unknown;
  /** what it raised, when it raised */
  exception?: ReportedException;
  /** its input against the input schema, its output against the output schema, as described */
  schemaViolations: string[];
}

export interface ValidationReport {
  verdict: ValidationVerdict;
  testsRun: number;
  testsPassed: number;
  /** the run itself broke down (a sandbox limit, a timeout): no test has a result */
  runProblem?: string;
  /** the module did not load: no test ran */
  loadError?: ReportedException;
  /** what is wrong with the schemas themselves (one that does not compile) */
  schemaProblems: string[];
  /** every test that did not pass or broke a schema, in the order they ran */
  failedTests: FailedTestReport[];
  /** the problems lines, exactly as the activity returned them */
  problems: string[];
}
