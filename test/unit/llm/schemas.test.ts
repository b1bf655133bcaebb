import assert from 'node:assert/strict';
import { z } from 'zod';
import { plannedTestSchema, toolPlanSchema, type TestCase } from '../../../contract';
import {
  applyTestCorrections,
  correctionProblem,
  plannedTestCase,
  stripCodeFences,
  toDraft,
  toImplementedTool,
  toolCodeSchema,
  toolImplementationSchema,
  toolRepairSchema,
  type TestCorrectionReply,
} from '../../../llm/schemas';
import { molecularWeightCode, molecularWeightImplementation, molecularWeightPlan } from '../../../dev/canned-tools';

/** Every object of a JSON Schema closed and every property required: what OpenAI's strict mode accepts. */
function assertStrictModeFriendly(schema: unknown, where = '$'): void {
  if (Array.isArray(schema))
    return schema.forEach((item, index) => assertStrictModeFriendly(item, `${where}[${index}]`));
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.properties) {
    assert.equal(node.additionalProperties, false, `${where}: additionalProperties`);
    assert.deepEqual(
      [...((node.required as string[]) ?? [])].sort(),
      Object.keys(node.properties).sort(),
      `${where}: required`,
    );
  }
  for (const [key, value] of Object.entries(node)) assertStrictModeFriendly(value, `${where}.${key}`);
}

const plannedTest = {
  inputJson: '{"smiles":"CCO"}',
  reasoning: 'C2H6O: 2 × 12.011 + 6 × 1.008 + 15.999',
  expectedOutputJson: '{"molecular_weight":46.069}',
  raises: null,
  match: null,
  tolerance: 0.01,
};

const client = (expectedOutput: unknown): TestCase => ({
  input: { smiles: 'CCO' },
  expectedOutput,
  tolerance: 0.01,
  source: 'client',
});
const model = (expectedOutput: unknown, smiles = 'O'): TestCase => ({
  input: { smiles },
  expectedOutput,
  tolerance: 0.01,
  source: 'model',
});

function correction(test: string, fields: Partial<TestCorrectionReply> = {}): TestCorrectionReply {
  return {
    test,
    reason: 'water is H2O: 2 × 1.008 + 15.999 = 18.015',
    expectedOutputJson: '{"molecular_weight":18.015}',
    raises: null,
    match: null,
    ...fields,
  };
}

describe('unit: the structured outputs of the model', () => {
  describe('the plan, with the tests written before the code', () => {
    it('is strict-mode friendly, tests included: every field required, nullable where absent', () => {
      for (const schema of [toolPlanSchema, toolCodeSchema, toolRepairSchema]) {
        assertStrictModeFriendly(z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }));
      }
      const tests = z.toJSONSchema(toolPlanSchema, { io: 'input', target: 'draft-7' }).properties!.testCases as any;
      assert.deepEqual(Object.keys(tests.items.properties), [
        'inputJson',
        'reasoning',
        'expectedOutputJson',
        'raises',
        'match',
        'tolerance',
      ]);
    });

    it('takes a test that returns, and one that raises, with the canned plan as an example', () => {
      assert.ok(toolPlanSchema.safeParse(molecularWeightPlan).success);
      const raising = { ...plannedTest, expectedOutputJson: null, raises: 'ValueError', match: 'Invalid SMILES' };
      assert.ok(plannedTestSchema.safeParse(raising).success);
      assert.deepEqual(plannedTestCase(plannedTestSchema.parse(raising)), {
        input: { smiles: 'CCO' },
        raises: 'ValueError',
        match: 'Invalid SMILES',
        tolerance: 0.01,
        source: 'model',
      });
      assert.deepEqual(plannedTestCase(plannedTestSchema.parse(plannedTest)), {
        input: { smiles: 'CCO' },
        expectedOutput: { molecular_weight: 46.069 },
        tolerance: 0.01,
        source: 'model',
      });
    });

    it('refuses a test with both an output and an exception, or neither, or bad JSON text', () => {
      const problems = (test: object) => {
        const parsed = plannedTestSchema.safeParse(test);
        return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      };
      assert.match(problems({ ...plannedTest, raises: 'ValueError' }).join(), /raises: give exactly one/);
      assert.match(problems({ ...plannedTest, expectedOutputJson: null }).join(), /raises: give exactly one/);
      assert.match(problems({ ...plannedTest, match: 'x' }).join(), /match: is only meaningful with raises/);
      assert.match(problems({ ...plannedTest, inputJson: '[1]' }).join(), /inputJson: must be a JSON object/);
      assert.match(
        problems({ ...plannedTest, expectedOutputJson: '{oops' }).join(),
        /expectedOutputJson: is not valid JSON/,
      );
      assert.match(problems({ ...plannedTest, raises: 'not an exception!' }).join(), /raises/);
    });
  });

  describe('the implementation without tests, and the draft made of it', () => {
    const { testCases: _tests, ...codeOnly } = molecularWeightImplementation;

    it('refuses tests in the code-only reply: the tests come from the plan', () => {
      assert.ok(toolCodeSchema.safeParse(codeOnly).success);
      assert.equal(toolCodeSchema.safeParse(molecularWeightImplementation).success, false);
      assert.equal(
        toolRepairSchema.safeParse(codeOnly).success,
        false,
        'a repair says which tests it corrects ([]: none)',
      );
      assert.ok(toolRepairSchema.safeParse({ testCorrections: [], ...codeOnly }).success);
    });

    it('puts the client’s examples first, then the planned tests; the client’s raise as given', () => {
      const tests = [plannedTestCase(plannedTestSchema.parse(plannedTest))];
      const draft = toDraft(
        toolCodeSchema.parse(codeOnly),
        tests,
        [
          { input: { smiles: 'O' }, output: { molecular_weight: 18.015 }, tolerance: 0.01 },
          { input: { smiles: 'xx' }, raises: 'ValueError' },
        ],
        1,
      );
      assert.deepEqual(
        draft.testCases.map((testCase) => [testCase.source, testCase.input.smiles]),
        [
          ['client', 'O'],
          ['client', 'xx'],
          ['model', 'CCO'],
        ],
      );
      assert.equal(draft.testCases[1]!.raises, 'ValueError');
      assert.equal(draft.attempt, 1);
      assert.ok(!('testCorrections' in draft));
    });
  });

  describe('markdown fences around the code', () => {
    const fenced = `\`\`\`python\n${molecularWeightCode}\`\`\``;

    it('are stripped, in either reply, so fenced code is validated as the Python it is', () => {
      assert.equal(stripCodeFences(fenced), molecularWeightCode);
      assert.equal(stripCodeFences(`  \`\`\`py\n${molecularWeightCode}\n\`\`\`  \n`), molecularWeightCode);
      assert.equal(stripCodeFences('```\nx = 1\n```'), 'x = 1\n');
      assert.equal(stripCodeFences('```python\nx = 1\n'), 'x = 1\n', 'an unclosed fence too');
      const legacy = toImplementedTool(
        toolImplementationSchema.parse({ ...molecularWeightImplementation, code: fenced }),
      );
      assert.equal(legacy.code, molecularWeightCode);
      const { testCases: _tests, ...codeOnly } = molecularWeightImplementation;
      assert.equal(toDraft(toolCodeSchema.parse({ ...codeOnly, code: fenced }), []).code, molecularWeightCode);
    });

    it('leave code without them as it is, a docstring’s fences included', () => {
      assert.equal(stripCodeFences(molecularWeightCode), molecularWeightCode);
      const docstring = 'def f():\n    """Example:\n    ```\n    f()\n    ```\n    """\n    return {}\n';
      assert.equal(stripCodeFences(docstring), docstring);
    });
  });

  describe('a repair’s corrections of the model’s tests', () => {
    const tests = [
      client({ molecular_weight: 46.069 }),
      model({ molecular_weight: 18.0 }),
      model({ molecular_weight: 1 }, 'C'),
    ];

    it('refuses a correction of a client’s example, with a sentence fed back to the model', () => {
      const problem = correctionProblem([correction('acceptance example 1')], tests);
      assert.match(
        problem!,
        /acceptance examples are the client's own tests, correct by definition, and are never changed/,
      );
      assert.match(problem!, /remove that correction and change the code/);
    });

    it('refuses a correction of no test, of one test twice, or without a reason', () => {
      assert.match(
        correctionProblem([correction('test 3')], tests)!,
        /not one of your tests \(they are test 1 to test 2\)/,
      );
      assert.match(correctionProblem([correction('the second one')], tests)!, /not one of your tests/);
      assert.match(correctionProblem([correction('test 1'), correction('Test 1')], tests)!, /corrects test 1 twice/);
      assert.match(correctionProblem([correction('test 1', { reason: '   ' })], tests)!, /has no reason/);
      assert.equal(correctionProblem([correction('test 1'), correction('test 2')], tests), null);
      assert.equal(correctionProblem([], tests), null);
    });

    it('corrects the named test and records which, from what to what, why and in which attempt', () => {
      const { testCases, made } = applyTestCorrections(
        tests,
        [
          correction('Test 1'),
          correction('test 2', { expectedOutputJson: null, raises: 'ValueError', match: 'carbon' }),
        ],
        3,
      );
      assert.deepEqual(testCases[0], tests[0], 'the client’s example is untouched');
      assert.deepEqual(testCases[1], model({ molecular_weight: 18.015 }));
      assert.deepEqual(testCases[2], {
        input: { smiles: 'C' },
        tolerance: 0.01,
        source: 'model',
        raises: 'ValueError',
        match: 'carbon',
      });
      assert.deepEqual(made, [
        {
          test: 'test 1',
          attempt: 3,
          before: { expectedOutput: { molecular_weight: 18.0 } },
          after: { expectedOutput: { molecular_weight: 18.015 } },
          reason: 'water is H2O: 2 × 1.008 + 15.999 = 18.015',
        },
        {
          test: 'test 2',
          attempt: 3,
          before: { expectedOutput: { molecular_weight: 1 } },
          after: { raises: 'ValueError', match: 'carbon' },
          reason: 'water is H2O: 2 × 1.008 + 15.999 = 18.015',
        },
      ]);
    });

    it('records nothing for a correction that changes nothing', () => {
      const same = correction('test 1', { expectedOutputJson: '{"molecular_weight":18.0}' });
      assert.deepEqual(applyTestCorrections(tests, [same], 2).made, []);
    });
  });
});
