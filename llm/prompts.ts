import type {
  AcceptanceExample,
  DocSnippet,
  FailedTestReport,
  TestCase,
  ToolPlan,
  ValidationReport,
  ValidationVerdict,
} from '../contract';

export interface Requirement {
  description: string;
  input: string;
  output: string;
  /** the client's acceptance examples, when it gave any */
  examples?: AcceptanceExample[];
}

export interface Prompt {
  system: string;
  user: string;
}

function tolerated(tolerance: number | undefined): string {
  return tolerance ? ` (numbers within ${tolerance})` : ' (exactly)';
}

function raising(raises: string, match: string | undefined): string {
  return `raises ${raises}${match === undefined ? '' : ` with a message containing ${JSON.stringify(match)}`}`;
}

function describeExample(example: AcceptanceExample, index: number): string {
  const outcome =
    example.raises === undefined
      ? `output ${JSON.stringify(example.output)}${tolerated(example.tolerance)}`
      : raising(example.raises, example.match);
  return `${index + 1}. input ${JSON.stringify(example.input)} → ${outcome}`;
}

/**
 * The client's examples are its definition of done: validation runs them exactly as given, so the
 * model is told up front what they pin down (parameter names, output shape and values).
 */
function describeExamples(examples: AcceptanceExample[]): string[] {
  if (examples.length === 0) return [];
  return [
    '',
    'Acceptance examples (the client’s own tests, correct by definition: the tool is registered only if, called with',
    'each input as keyword arguments, it returns that output, or raises that exception; the parameter names are the keys of the inputs):',
    ...examples.map(describeExample),
  ];
}

function describeRequirement(requirement: Requirement): string {
  return [
    `Description: ${requirement.description}`,
    `Input: ${requirement.input}`,
    `Output: ${requirement.output}`,
    ...describeExamples(requirement.examples ?? []),
  ].join('\n');
}

/**
 * The plan call also writes the tool's tests: from the requirement alone, before any code exists,
 * so the code is later held to expectations that were not made to fit it. Its prompt holds no code.
 */
export function planPrompt(requirement: Requirement, installedPackages: string[]): Prompt {
  return {
    system: [
      'You design single-function Python tools from natural-language requirements.',
      'Reply with a plan: a snake_case function name, typed parameters (JSON-serialisable types),',
      'the return shape (a JSON object), the Python packages it imports (only from the installed list; the standard library needs no entry),',
      'and documentation queries: fully qualified names of the library functions or classes the implementer must look up',
      '(for example "rdkit.Chem.MolFromSmiles"), or short descriptions of what to look up; at least one query for every dependency.',
      `Installed packages: ${installedPackages.join(', ')}.`,
      'The plan also holds the tool’s tests, written now, from the requirement alone: no code exists yet, another call writes it',
      'later, and it must pass them. Write at least two: typical inputs and an edge case, each one you are sure of.',
      'For each: inputJson, the JSON object of keyword arguments (its keys are the parameter names);',
      'reasoning, how the expected result follows from the requirement, worked out step by step by hand before you give it;',
      'then either expectedOutputJson, the JSON of the exact return value (of the return shape), with raises and match null,',
      'or, for an input the tool must reject, raises, the exception class the call must raise (e.g. "ValueError"),',
      'with match a short substring its message must contain (or null), and expectedOutputJson null;',
      'tolerance, the absolute tolerance for comparing floating-point numbers (0 for exact).',
      'When the requirement has acceptance examples, they are run too, exactly as given: cover other inputs.',
    ].join(' '),
    user: describeRequirement(requirement),
  };
}

/** What the previous attempt got wrong, for a repair. */
export interface RepairContext {
  attempt: number;
  previousCode: string;
  /** the previous attempt's schemas (absent in drafts that lack them) */
  previousInputSchema?: Record<string, unknown>;
  previousOutputSchema?: Record<string, unknown>;
  verdict: Exclude<ValidationVerdict, 'passed'>;
  /** the short form, one line per problem: what the repair shows when there is no report */
  problems: string[];
  /** validation's full findings (failing tests with expected and actual values, tracebacks), when it saved them */
  report?: ValidationReport | null;
}

const REPAIR_ADVICE: Record<RepairContext['verdict'], string> = {
  crashed: 'The code crashed or could not be loaded: fix the code.',
  schema_violation:
    'A test input does not fit your input schema, or the code returned values that do not fit your output schema: fix the code or the schema, whichever is wrong.',
  wrong_values:
    'The code ran, but returned other values than your test cases expect. Either the code or the expected values are wrong: check each expected value independently (by hand, or against the documentation) and fix whichever is wrong; do not break correct code to match a wrong expectation.',
};

/** On a repair of code held to tests written before it, a wrong test is corrected, never quietly matched. */
const CORRECTING_TESTS =
  'Your tests (test 1, test 2, …) were written before the code, from the requirement: where the code is right and one of them expects a wrong result, ' +
  'correct that test in testCorrections (its name, the correct expectation and the reason it was wrong) instead of bending the code to it; ' +
  'testCorrections is [] when every test is right.';

const EXAMPLES_ARE_RIGHT =
  'The acceptance examples are never the wrong part: where one fails, the code (or a schema) is what must change.';
const EXAMPLES_ARE_NOT_CORRECTED = 'They cannot be corrected.';

/** How many failing tests a repair shows, and how much of a traceback. */
const MAX_TESTS_SHOWN = 10;
const MAX_TRACEBACK_LINES = 20;
const MAX_TRACEBACK_CHARS = 1_500;

/** The end of a traceback (where the exception was raised), at most so many lines and characters. */
export function trimTraceback(traceback: string): string {
  const lines = traceback.trimEnd().split('\n');
  let kept = lines.slice(-MAX_TRACEBACK_LINES).join('\n');
  if (kept.length > MAX_TRACEBACK_CHARS) kept = `…${kept.slice(-MAX_TRACEBACK_CHARS)}`;
  return lines.length > MAX_TRACEBACK_LINES && !kept.startsWith('…') ? `…\n${kept}` : kept;
}

function describeExpected(expected: FailedTestReport['expected']): string {
  return 'raises' in expected
    ? `it to raise ${expected.raises}${expected.match === undefined ? '' : ` with a message containing ${JSON.stringify(expected.match)}`}`
    : JSON.stringify(expected.output);
}

function tracebackBlock(traceback: string | undefined): string[] {
  if (!traceback?.trim()) return [];
  return [
    '  Traceback (its end):',
    '  ```',
    ...trimTraceback(traceback)
      .split('\n')
      .map((line) => `  ${line}`),
    '  ```',
  ];
}

/** One failing test as the repair shows it: what it expected, what happened instead, where it raised. */
function describeFailedTest(test: FailedTestReport): string[] {
  // as validation's problems say it: the client's expectation is never the part to change
  const whose =
    test.source !== 'client'
      ? ''
      : 'raises' in test.expected
        ? " (the client's expected exception)"
        : " (the client's expected output)";
  const raised = test.exception ? `${test.exception.type}: ${test.exception.message}` : 'an exception';
  const actual = JSON.stringify(test.actualOutput);
  const outcome: Record<FailedTestReport['outcome'], string | null> = {
    pass: null,
    mismatch: `value mismatch: expected ${describeExpected(test.expected)}, got ${actual}`,
    exception: `expected ${describeExpected(test.expected)}, but it raised ${raised}`,
    not_serializable: `returned a value that is not JSON-serialisable: ${String(test.actualOutput)}`,
    no_exception: `expected ${describeExpected(test.expected)}, but it returned ${actual}`,
    wrong_exception: `expected ${describeExpected(test.expected)}, but it raised ${raised}`,
    not_run: 'no result: the run ended before this test',
  };
  const line = outcome[test.outcome];
  return [
    `- ${test.name} (input ${JSON.stringify(test.input)})${line ? `: ${line}${whose}` : ''}`,
    ...test.schemaViolations.map((violation) => `  schema: ${violation}`),
    ...tracebackBlock(test.exception?.traceback),
  ];
}

/** Validation's findings in full: the run's breakdown, the load error, the schemas' problems, the failing tests. */
function describeReport(report: ValidationReport): string[] {
  const shown = report.failedTests.slice(0, MAX_TESTS_SHOWN);
  const more = report.failedTests.length - shown.length;
  return [
    `Validation: ${report.testsPassed}/${report.testsRun} tests passed.`,
    ...(report.runProblem ? [`The run itself failed: ${report.runProblem}`] : []),
    ...(report.loadError
      ? [
          `The module does not load: ${report.loadError.type}: ${report.loadError.message}`,
          ...tracebackBlock(report.loadError.traceback),
        ]
      : []),
    ...report.schemaProblems.map((problem) => `- ${problem}`),
    ...(shown.length ? ['Failing tests:', ...shown.flatMap(describeFailedTest)] : []),
    ...(more > 0 ? [`(and ${more} more failing tests)`] : []),
  ];
}

function jsonBlock(label: string, value: Record<string, unknown> | undefined): string[] {
  return value === undefined ? [] : ['', `Previous ${label}:`, '```json', JSON.stringify(value, null, 2), '```'];
}

function repairSection(repair: RepairContext, hasExamples: boolean, testsGiven: boolean): string {
  const advice = [
    testsGiven && repair.verdict === 'wrong_values'
      ? REPAIR_ADVICE.wrong_values.replace('your test cases expect', 'the tests expect')
      : REPAIR_ADVICE[repair.verdict],
    ...(testsGiven ? [CORRECTING_TESTS] : []),
    ...(hasExamples ? [EXAMPLES_ARE_RIGHT, ...(testsGiven ? [EXAMPLES_ARE_NOT_CORRECTED] : [])] : []),
  ].join(' ');
  const findings = repair.report
    ? describeReport(repair.report)
    : ['Failures:', ...repair.problems.map((problem) => `- ${problem}`)];
  return [
    '',
    `Attempt ${repair.attempt - 1} failed validation. ${advice}`,
    ...findings,
    '',
    'Previous code:',
    '```python',
    repair.previousCode,
    '```',
    ...jsonBlock('input schema', repair.previousInputSchema),
    ...jsonBlock('output schema', repair.previousOutputSchema),
  ].join('\n');
}

function describeTest(testCase: TestCase, index: number): string {
  const outcome =
    testCase.raises === undefined
      ? `output ${JSON.stringify(testCase.expectedOutput)}${tolerated(testCase.tolerance)}`
      : raising(testCase.raises, testCase.match);
  return `test ${index + 1}. input ${JSON.stringify(testCase.input)} → ${outcome}`;
}

/** In the code-only implementer's system prompt: what tells it (and the scripted model) that the tests are given. */
export const TESTS_WRITTEN_APART =
  'The tests below were written from the requirement before the code, apart from it: validation runs them exactly as given,';

function documentationOf(docs: DocSnippet[]): string {
  return docs.length
    ? docs.map((doc) => `### ${doc.name}${doc.signature}\n${doc.doc}`).join('\n\n')
    : '(no documentation found)';
}

const MODULE_RULES = [
  'You implement a Python tool as one module with exactly one public function, typed, with a docstring.',
  'Import heavy libraries inside the function. Raise ValueError on invalid input.',
  'The function takes keyword arguments and returns a JSON-serialisable dict.',
  'Also give JSON Schemas (as JSON text) for the keyword arguments and for the returned value.',
];
const USE_DOCUMENTED_APIS = 'Use only the documented APIs below; do not guess signatures.';

/**
 * The implementer's prompt. With `modelTests` (the plan's tests, as corrected so far), it writes
 * the code and schemas only, held to those tests; without (a plan made before plans carried tests),
 * it writes its own test cases as well, as it always did.
 */
export function implementPrompt(
  requirement: Requirement,
  plan: ToolPlan,
  docs: DocSnippet[],
  repair: RepairContext | null,
  modelTests: TestCase[] | null = null,
): Prompt {
  const hasExamples = (requirement.examples ?? []).length > 0;
  const { testCases: _planned, ...planShown } = plan;
  const system = modelTests
    ? [
        ...MODULE_RULES,
        TESTS_WRITTEN_APART,
        'together with the acceptance examples, if any: your code must pass them, and your schemas must accept their inputs and outputs.',
        'The code field holds the module itself: plain Python, no Markdown fences.',
        ...(repair
          ? [
              'On this repair, testCorrections lists each of the tests that is itself wrong: its name as the failures give it ("test 2"),',
              'the correct expectation (expectedOutputJson, or raises and match) and the reason; [] when none is.',
            ]
          : []),
        USE_DOCUMENTED_APIS,
      ]
    : [
        ...MODULE_RULES.slice(0, 3),
        'Also give JSON Schemas (as JSON text) for the keyword arguments and for the returned value,',
        'and at least two test cases: inputJson is the JSON object of keyword arguments, expectedOutputJson the JSON of the exact expected return value,',
        'tolerance the absolute tolerance for comparing floating-point numbers (0 for exact).',
        'When the requirement has acceptance examples, they are run as tests too, exactly as given: your schemas must accept',
        'their inputs and outputs, and your own test cases should cover other inputs.',
        USE_DOCUMENTED_APIS,
      ];
  return {
    system: system.join(' '),
    user: [
      'Requirement:',
      describeRequirement(requirement),
      '',
      'Plan:',
      JSON.stringify(planShown, null, 2),
      ...(modelTests ? ['', 'Tests (written before the code):', ...modelTests.map(describeTest)] : []),
      '',
      'Documentation of the installed versions:',
      documentationOf(docs),
      ...(repair ? [repairSection(repair, hasExamples, modelTests !== null)] : []),
    ].join('\n'),
  };
}
