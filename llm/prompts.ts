import type { AcceptanceExample, DocSnippet, ToolPlan } from '../contract';

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

function describeExample(example: AcceptanceExample, index: number): string {
  const tolerance = example.tolerance ? ` (numbers within ${example.tolerance})` : ' (exactly)';
  return `${index + 1}. input ${JSON.stringify(example.input)} → output ${JSON.stringify(example.output)}${tolerance}`;
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
    'each input as keyword arguments, it returns that output; the parameter names are the keys of the inputs):',
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

export function planPrompt(requirement: Requirement, installedPackages: string[]): Prompt {
  return {
    system: [
      'You design single-function Python tools from natural-language requirements.',
      'Reply with a plan: a snake_case function name, typed parameters (JSON-serialisable types),',
      'the return shape (a JSON object), the Python packages it imports (only from the installed list; the standard library needs no entry),',
      'and documentation queries: fully qualified names of the library functions or classes the implementer must look up',
      '(for example "rdkit.Chem.MolFromSmiles"), or short descriptions of what to look up; at least one query for every dependency.',
      `Installed packages: ${installedPackages.join(', ')}.`,
    ].join(' '),
    user: describeRequirement(requirement),
  };
}

/** What the previous attempt got wrong, for a repair. */
export interface RepairContext {
  attempt: number;
  previousCode: string;
  verdict: 'crashed' | 'schema_violation' | 'wrong_values';
  problems: string[];
}

const REPAIR_ADVICE: Record<RepairContext['verdict'], string> = {
  crashed: 'The code crashed or could not be loaded: fix the code.',
  schema_violation:
    'A test input does not fit your input schema, or the code returned values that do not fit your output schema: fix the code or the schema, whichever is wrong.',
  wrong_values:
    'The code ran, but returned other values than your test cases expect. Either the code or the expected values are wrong: check each expected value independently (by hand, or against the documentation) and fix whichever is wrong; do not break correct code to match a wrong expectation.',
};

const EXAMPLES_ARE_RIGHT =
  'The acceptance examples are never the wrong part: where one fails, the code (or a schema) is what must change.';

function repairSection(repair: RepairContext, hasExamples: boolean): string {
  const advice = hasExamples ? `${REPAIR_ADVICE[repair.verdict]} ${EXAMPLES_ARE_RIGHT}` : REPAIR_ADVICE[repair.verdict];
  return [
    '',
    `Attempt ${repair.attempt - 1} failed validation. ${advice}`,
    'Failures:',
    ...repair.problems.map((problem) => `- ${problem}`),
    '',
    'Previous code:',
    '```python',
    repair.previousCode,
    '```',
  ].join('\n');
}

export function implementPrompt(
  requirement: Requirement,
  plan: ToolPlan,
  docs: DocSnippet[],
  repair: RepairContext | null,
): Prompt {
  const documentation = docs.length
    ? docs.map((doc) => `### ${doc.name}${doc.signature}\n${doc.doc}`).join('\n\n')
    : '(no documentation found)';
  return {
    system: [
      'You implement a Python tool as one module with exactly one public function, typed, with a docstring.',
      'Import heavy libraries inside the function. Raise ValueError on invalid input.',
      'The function takes keyword arguments and returns a JSON-serialisable dict.',
      'Also give JSON Schemas (as JSON text) for the keyword arguments and for the returned value,',
      'and at least two test cases: inputJson is the JSON object of keyword arguments, expectedOutputJson the JSON of the exact expected return value,',
      'tolerance the absolute tolerance for comparing floating-point numbers (0 for exact).',
      'When the requirement has acceptance examples, they are run as tests too, exactly as given: your schemas must accept',
      'their inputs and outputs, and your own test cases should cover other inputs.',
      'Use only the documented APIs below; do not guess signatures.',
    ].join(' '),
    user: [
      'Requirement:',
      describeRequirement(requirement),
      '',
      'Plan:',
      JSON.stringify(plan, null, 2),
      '',
      'Documentation of the installed versions:',
      documentation,
      ...(repair ? [repairSection(repair, (requirement.examples ?? []).length > 0)] : []),
    ].join('\n'),
  };
}
