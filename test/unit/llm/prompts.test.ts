import assert from 'node:assert/strict';
import type { TestCase, ToolPlan, ValidationReport } from '../../../contract';
import {
  implementPrompt,
  planPrompt,
  TESTS_WRITTEN_APART,
  trimTraceback,
  type RepairContext,
  type Requirement,
} from '../../../llm/prompts';
import { molecularWeightCode, molecularWeightPlan } from '../../../dev/canned-tools';

const requirement: Requirement = {
  description: 'Calculate the molecular weight of a compound from its SMILES string.',
  input: 'a SMILES string',
  output: 'the molecular weight in g/mol',
  examples: [
    { input: { smiles: 'CCO' }, output: { molecular_weight: 46.069 }, tolerance: 0.01 },
    { input: { smiles: 'not-a-molecule' }, raises: 'ValueError', match: 'Invalid SMILES' },
  ],
};

const plan = molecularWeightPlan as ToolPlan;

const modelTests: TestCase[] = [
  { input: { smiles: 'O' }, expectedOutput: { molecular_weight: 18.015 }, tolerance: 0.01, source: 'model' },
  { input: { smiles: '' }, raises: 'ValueError', match: 'empty', tolerance: 0, source: 'model' },
];

const traceback = [
  'Traceback (most recent call last):',
  ...Array.from({ length: 30 }, (_, line) => `  File "tool.py", line ${line + 1}, in helper_${line}`),
  'ZeroDivisionError: division by zero',
].join('\n');

const report: ValidationReport = {
  verdict: 'crashed',
  testsRun: 4,
  testsPassed: 1,
  schemaProblems: [],
  problems: [
    'test 1 (input {"smiles":"O"}): value mismatch: expected {"molecular_weight":18.015}, got {"molecular_weight":18.0}',
  ],
  failedTests: [
    {
      name: 'test 1',
      source: 'model',
      input: { smiles: 'O' },
      expected: { output: { molecular_weight: 18.015 }, tolerance: 0.01 },
      outcome: 'mismatch',
      actualOutput: { molecular_weight: 18.0 },
      schemaViolations: [],
    },
    {
      name: 'acceptance example 1',
      source: 'client',
      input: { smiles: 'CCO' },
      expected: { output: { molecular_weight: 46.069 }, tolerance: 0.01 },
      outcome: 'exception',
      exception: { type: 'ZeroDivisionError', message: 'division by zero', traceback },
      schemaViolations: ['the output does not fit the output schema: output.molecular_weight must be number'],
    },
    {
      name: 'test 2',
      source: 'model',
      input: { smiles: '' },
      expected: { raises: 'ValueError', match: 'empty' },
      outcome: 'no_exception',
      actualOutput: { molecular_weight: 0 },
      schemaViolations: [],
    },
  ],
};

const previousInputSchema = { type: 'object', properties: { smiles: { type: 'string' } }, required: ['smiles'] };
const previousOutputSchema = { type: 'object', properties: { molecular_weight: { type: 'number' } } };

function repair(overrides: Partial<RepairContext> = {}): RepairContext {
  return {
    attempt: 2,
    previousCode: molecularWeightCode,
    previousInputSchema,
    previousOutputSchema,
    verdict: 'crashed',
    problems: report.problems,
    report,
    ...overrides,
  };
}

describe('unit: the prompts', () => {
  describe('the plan prompt, which writes the tests apart from the code', () => {
    const prompt = planPrompt(requirement, ['rdkit', 'numpy']);
    const text = `${prompt.system}\n${prompt.user}`;

    it('holds no code: none exists when the tests are written', () => {
      for (const codeMark of ['```', 'def ', molecularWeightCode.slice(0, 40), 'Descriptors.MolWt']) {
        assert.ok(!text.includes(codeMark), `the plan prompt holds ${JSON.stringify(codeMark)}`);
      }
      assert.doesNotMatch(text, /^\s*(def|class|import|from \S+ import|return)\s/m, 'no line of Python');
      assert.doesNotMatch(text, /Previous code/);
    });

    it('asks for the tests, the expected value worked out first, an exception as raises', () => {
      assert.match(prompt.system, /tests, written now, from the requirement alone/);
      assert.match(prompt.system, /no code exists yet/);
      assert.match(prompt.system, /reasoning, how the expected result follows/);
      assert.match(prompt.system, /raises, the exception class the call must raise \(e\.g\. "ValueError"\)/);
      assert.match(prompt.system, /tolerance/);
    });

    it('shows the acceptance examples, one that raises as such', () => {
      assert.match(
        prompt.user,
        /1\. input \{"smiles":"CCO"\} → output \{"molecular_weight":46\.069\} \(numbers within 0\.01\)/,
      );
      assert.match(
        prompt.user,
        /2\. input \{"smiles":"not-a-molecule"\} → raises ValueError with a message containing "Invalid SMILES"/,
      );
    });
  });

  describe('the implement prompt', () => {
    it('with the plan’s tests: shows them, asks for code and schemas only, without the tests in the plan', () => {
      const prompt = implementPrompt(requirement, plan, [], null, modelTests);
      assert.ok(prompt.system.includes(TESTS_WRITTEN_APART));
      assert.doesNotMatch(prompt.system, /at least two test cases/);
      assert.match(prompt.system, /no Markdown fences/);
      assert.doesNotMatch(prompt.system, /testCorrections/, 'a first attempt corrects nothing');
      assert.match(
        prompt.user,
        /test 1\. input \{"smiles":"O"\} → output \{"molecular_weight":18\.015\} \(numbers within 0\.01\)/,
      );
      assert.match(prompt.user, /test 2\. input \{"smiles":""\} → raises ValueError with a message containing "empty"/);
      assert.match(prompt.user, /"functionName": "calculate_molecular_weight"/);
      assert.doesNotMatch(prompt.user, /inputJson|"testCases"/, 'the plan is shown without its tests');
    });

    it('without them (a plan made before plans had tests): asks for test cases, as it always did', () => {
      const { testCases: _tests, ...oldPlan } = plan;
      const prompt = implementPrompt(requirement, oldPlan, [], null);
      assert.match(prompt.system, /and at least two test cases: inputJson is the JSON object of keyword arguments/);
      assert.ok(!prompt.system.includes(TESTS_WRITTEN_APART));
      assert.doesNotMatch(prompt.user, /Tests \(written before the code\)/);
    });
  });

  describe('the repair prompt', () => {
    const prompt = implementPrompt(requirement, plan, [], repair(), modelTests);

    it('names the failed attempt, and asks for corrections of wrong tests with a reason', () => {
      assert.match(prompt.user, /Attempt 1 failed validation\./);
      assert.match(prompt.system, /testCorrections lists each of the tests that is itself wrong/);
      assert.match(
        prompt.user,
        /correct that test in testCorrections \(its name, the correct expectation and the reason/,
      );
    });

    it('holds each failing test with its expected and actual values', () => {
      assert.match(
        prompt.user,
        /- test 1 \(input \{"smiles":"O"\}\): value mismatch: expected \{"molecular_weight":18\.015\}, got \{"molecular_weight":18\}/,
      );
      assert.match(
        prompt.user,
        /- test 2 \(input \{"smiles":""\}\): expected it to raise ValueError with a message containing "empty", but it returned \{"molecular_weight":0\}/,
      );
      assert.match(
        prompt.user,
        /- acceptance example 1 \(input \{"smiles":"CCO"\}\): expected \{"molecular_weight":46\.069\}, but it raised ZeroDivisionError: division by zero \(the client's expected output\)/,
      );
      assert.match(prompt.user, /schema: the output does not fit the output schema/);
      assert.match(prompt.user, /Validation: 1\/4 tests passed\./);
    });

    it('holds the traceback of the crash, trimmed to its end', () => {
      assert.match(prompt.user, /Traceback \(its end\):/);
      assert.match(prompt.user, /ZeroDivisionError: division by zero\n {2}```/);
      assert.match(prompt.user, /in helper_29/);
      assert.doesNotMatch(prompt.user, /in helper_0\n/, 'the start of a long traceback is cut');
      const trimmed = trimTraceback(traceback);
      assert.ok(trimmed.split('\n').length <= 21, trimmed);
      assert.ok(trimTraceback('x'.repeat(5_000)).length <= 1_501);
    });

    it('holds the previous code and both schemas', () => {
      assert.ok(prompt.user.includes(molecularWeightCode));
      assert.ok(
        prompt.user.includes(`Previous input schema:\n\`\`\`json\n${JSON.stringify(previousInputSchema, null, 2)}`),
      );
      assert.ok(
        prompt.user.includes(`Previous output schema:\n\`\`\`json\n${JSON.stringify(previousOutputSchema, null, 2)}`),
      );
    });

    it('keeps the advice: the client’s examples are never the wrong part, nor corrected', () => {
      assert.match(prompt.user, /The code crashed or could not be loaded: fix the code\./);
      assert.match(prompt.user, /The acceptance examples are never the wrong part/);
      assert.match(prompt.user, /They cannot be corrected\./);
      const wrongValues = implementPrompt(requirement, plan, [], repair({ verdict: 'wrong_values' }), modelTests);
      assert.match(wrongValues.user, /Either the code or the expected values are wrong/);
      assert.match(wrongValues.user, /returned other values than the tests expect/);
    });

    it('falls back to the problems when validation saved no report', () => {
      const fallback = implementPrompt(requirement, plan, [], repair({ report: null }), modelTests);
      assert.match(fallback.user, /Failures:\n- test 1 \(input \{"smiles":"O"\}\): value mismatch: expected/);
      assert.doesNotMatch(fallback.user, /Traceback/);
      assert.ok(fallback.user.includes(molecularWeightCode));
    });

    it('in the compatibility path: the old advice, the report, and no corrections', () => {
      const { testCases: _tests, ...oldPlan } = plan;
      const old = implementPrompt(requirement, oldPlan, [], repair({ verdict: 'wrong_values' }));
      assert.match(old.user, /returned other values than your test cases expect/);
      assert.doesNotMatch(old.user, /testCorrections/);
      assert.match(old.user, /value mismatch: expected \{"molecular_weight":18\.015\}/);
    });
  });
});
