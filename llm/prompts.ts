import type { ToolPlan } from './schemas';

export interface Requirement {
  description: string;
  input: string;
  output: string;
}

export interface DocSnippet {
  query: string;
  name: string;
  signature: string;
  doc: string;
}

export interface Prompt {
  system: string;
  user: string;
}

function describeRequirement(requirement: Requirement): string {
  return [
    `Description: ${requirement.description}`,
    `Input: ${requirement.input}`,
    `Output: ${requirement.output}`,
  ].join('\n');
}

export function planPrompt(requirement: Requirement, installedPackages: string[]): Prompt {
  return {
    system: [
      'You design single-function Python tools from natural-language requirements.',
      'Reply with a plan: a snake_case function name, typed parameters (JSON-serialisable types),',
      'the return shape (a JSON object), the Python packages it imports (only from the installed list; the standard library needs no entry),',
      'and documentation queries: fully qualified names of the library functions or classes the implementer must look up',
      '(for example "rdkit.Chem.MolFromSmiles").',
      `Installed packages: ${installedPackages.join(', ')}.`,
    ].join(' '),
    user: describeRequirement(requirement),
  };
}

export function implementPrompt(requirement: Requirement, plan: ToolPlan, docs: DocSnippet[]): Prompt {
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
    ].join('\n'),
  };
}
