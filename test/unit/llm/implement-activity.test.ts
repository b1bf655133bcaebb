import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { z } from 'zod';
import {
  createImplementActivity,
  testCorrectionDocuments,
  type ImplementToolInput,
  type ImplementToolOutput,
} from '../../../activities/implement';
import { plannedTestProblem } from '../../../activities/plan';
import type { ToolPlan, ValidationReport } from '../../../contract';
import type { LlmGateway, StructuredRequest } from '../../../llm/gateway';
import { TESTS_WRITTEN_APART } from '../../../llm/prompts';
import { toolCodeSchema, toolImplementationSchema, toolRepairSchema, type ImplementedTool } from '../../../llm/schemas';
import type { Stores } from '../../../store';
import { molecularWeightCode, molecularWeightImplementation, molecularWeightPlan } from '../../../dev/canned-tools';

/** The gateway as the activity sees it: the request it was sent, its `check` applied to the scripted reply. */
function scriptedGateway(replies: unknown[]) {
  const requests: StructuredRequest<z.ZodType>[] = [];
  const checked: (string | null)[] = [];
  const gateway = {
    async completeStructured(request: StructuredRequest<z.ZodType>) {
      requests.push(request);
      for (;;) {
        const value = request.schema.parse(replies.shift());
        const problem = request.check?.(value) ?? null;
        checked.push(problem);
        if (problem === null) return { value, totalTokens: 150, model: request.model ?? 'configured-model' };
      }
    },
  } as unknown as LlmGateway;
  return { gateway, requests, checked };
}

function artifactStore(initial: Record<string, { kind: string; content: unknown }>) {
  const saved = new Map(Object.entries(initial));
  const artifacts = {
    async load(id: string, kind: string) {
      const found = saved.get(id);
      if (!found || found.kind !== kind) throw new Error(`artifact ${kind} ${id} is missing`);
      return structuredClone(found.content);
    },
    async save(artifact: { kind: string; key: string; content: unknown }) {
      saved.set(artifact.key, { kind: artifact.kind, content: structuredClone(artifact.content) });
      return artifact.key;
    },
  };
  return { stores: { artifacts } as unknown as Stores, saved };
}

const { testCases: _tests, ...codeOnly } = molecularWeightImplementation;
const requirement = {
  description: 'Calculate the molecular weight of a compound from SMILES.',
  input: 'SMILES',
  output: 'weight',
  examples: [{ input: { smiles: 'C' }, output: { molecular_weight: 16.043 }, tolerance: 0.01 }],
};

function input(plan: ToolPlan, overrides: Partial<ImplementToolInput> = {}): ImplementToolInput {
  return {
    jobId: 'job_unit',
    workKey: 'job_unit',
    requirementIndex: 0,
    attempt: 1,
    requirement,
    plan,
    docsRef: 'docs',
    repair: null,
    ...overrides,
  };
}

const report: ValidationReport = {
  verdict: 'wrong_values',
  testsRun: 3,
  testsPassed: 2,
  schemaProblems: [],
  problems: [
    'test 2 (input {"smiles":"O"}): value mismatch: expected {"molecular_weight":18.0}, got {"molecular_weight":18.015}',
  ],
  failedTests: [
    {
      name: 'test 2',
      source: 'model',
      input: { smiles: 'O' },
      expected: { output: { molecular_weight: 18.0 }, tolerance: 0.001 },
      outcome: 'mismatch',
      actualOutput: { molecular_weight: 18.015 },
      schemaViolations: [],
    },
  ],
};

/** The first attempt's draft: the client's example, then the plan's two tests (the second one wrong). */
const firstDraft: ImplementedTool = {
  code: molecularWeightCode,
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object' },
  attempt: 1,
  testCases: [
    { input: { smiles: 'C' }, expectedOutput: { molecular_weight: 16.043 }, tolerance: 0.01, source: 'client' },
    { input: { smiles: 'CCO' }, expectedOutput: { molecular_weight: 46.069 }, tolerance: 0.01, source: 'model' },
    { input: { smiles: 'O' }, expectedOutput: { molecular_weight: 18.0 }, tolerance: 0.001, source: 'model' },
  ],
};

describe('unit: the implement activity, with the tests written apart from the code', () => {
  const mock = new MockActivityEnvironment();
  const environment = {
    run: (activity: ReturnType<typeof createImplementActivity>, given: ImplementToolInput) =>
      mock.run(activity, given) as Promise<ImplementToolOutput>,
  };

  it('writes the code only when the plan carries the tests: the draft takes the client’s and the plan’s', async () => {
    const { gateway, requests } = scriptedGateway([
      { ...codeOnly, code: `\`\`\`python\n${molecularWeightCode}\`\`\`` },
    ]);
    const { stores, saved } = artifactStore({ docs: { kind: 'docs', content: [] } });
    const implement = createImplementActivity(gateway, stores);
    const { draftRef } = await environment.run(implement, input(molecularWeightPlan, { model: 'gpt-4.1-mini' }));

    const [request] = requests;
    assert.equal(request!.schema, toolCodeSchema);
    assert.equal(request!.model, 'gpt-4.1-mini');
    assert.equal(request!.context.step, 'implement');
    assert.ok(request!.system.includes(TESTS_WRITTEN_APART));
    const draft = saved.get(draftRef)!.content as ImplementedTool;
    assert.equal(draft.code, molecularWeightCode, 'the fences are gone');
    assert.deepEqual(
      draft.testCases.map((testCase) => [testCase.source, testCase.input, testCase.expectedOutput]),
      [
        ['client', { smiles: 'C' }, { molecular_weight: 16.043 }],
        ['model', { smiles: 'CCO' }, { molecular_weight: 46.069 }],
        ['model', { smiles: 'O' }, { molecular_weight: 18.015 }],
      ],
    );
  });

  it('asks for tests as before when the plan has none (made by a run started before plans carried them)', async () => {
    const { gateway, requests } = scriptedGateway([molecularWeightImplementation]);
    const { stores, saved } = artifactStore({ docs: { kind: 'docs', content: [] } });
    const { testCases: _planned, ...oldPlan } = molecularWeightPlan;
    const { draftRef } = await environment.run(createImplementActivity(gateway, stores), input(oldPlan));

    assert.equal(requests[0]!.schema, toolImplementationSchema);
    assert.ok(!('model' in requests[0]!), 'no model named: the configured one');
    assert.match(requests[0]!.system, /at least two test cases/);
    const draft = saved.get(draftRef)!.content as ImplementedTool;
    assert.equal(draft.testCases.length, 3, 'the example and the two tests of the reply');
  });

  it('on a repair: shows the report, refuses a correction of a client’s example, records a reasoned one', async () => {
    const earlier = {
      test: 'test 1',
      attempt: 1,
      before: { expectedOutput: { molecular_weight: 46.0 } },
      after: { expectedOutput: { molecular_weight: 46.069 } },
      reason: 'an earlier correction',
    };
    const refused = {
      testCorrections: [
        {
          test: 'acceptance example 1',
          reason: 'methane is lighter',
          expectedOutputJson: '{"molecular_weight":16.0}',
          raises: null,
          match: null,
        },
      ],
      ...codeOnly,
    };
    const accepted = {
      testCorrections: [
        {
          test: 'test 2',
          reason: 'H2O is 2 × 1.008 + 15.999 = 18.015 g/mol, not 18.0',
          expectedOutputJson: '{"molecular_weight":18.015}',
          raises: null,
          match: null,
        },
      ],
      ...codeOnly,
    };
    const { gateway, requests, checked } = scriptedGateway([refused, accepted]);
    const { stores, saved } = artifactStore({
      docs: { kind: 'docs', content: [] },
      'draft-1': { kind: 'implementation', content: { ...firstDraft, testCorrections: [earlier] } },
      'report-1': { kind: 'validation', content: report },
    });
    const repair = {
      previousDraftRef: 'draft-1',
      verdict: 'wrong_values' as const,
      problems: report.problems,
      reportRef: 'report-1',
    };
    const { draftRef } = await environment.run(
      createImplementActivity(gateway, stores),
      input(molecularWeightPlan, { attempt: 2, repair }),
    );

    const [request] = requests;
    assert.equal(request!.schema, toolRepairSchema);
    assert.equal(request!.context.step, 'repair');
    assert.match(request!.user, /Attempt 1 failed validation/);
    assert.match(
      request!.user,
      /- test 2 \(input \{"smiles":"O"\}\): value mismatch: expected \{"molecular_weight":18\}, got \{"molecular_weight":18\.015\}/,
    );
    assert.match(
      request!.user,
      /test 2\. input \{"smiles":"O"\} → output \{"molecular_weight":18\}/,
      'the tests as they stand',
    );
    assert.match(checked[0]!, /acceptance example 1: the acceptance examples are the client's own tests/);
    assert.equal(checked[1], null);

    const draft = saved.get(draftRef)!.content as ImplementedTool;
    assert.deepEqual(draft.testCases[0], firstDraft.testCases[0], 'the client’s example is never changed');
    assert.deepEqual(draft.testCases[2]!.expectedOutput, { molecular_weight: 18.015 });
    assert.equal(draft.attempt, 2);
    assert.deepEqual(draft.testCorrections, [
      earlier,
      {
        test: 'test 2',
        attempt: 2,
        before: { expectedOutput: { molecular_weight: 18.0 } },
        after: { expectedOutput: { molecular_weight: 18.015 } },
        reason: 'H2O is 2 × 1.008 + 15.999 = 18.015 g/mol, not 18.0',
      },
    ]);
    assert.deepEqual(testCorrectionDocuments(draft).test_corrections?.[1], {
      test: 'test 2',
      attempt: 2,
      before: { expected_output: { molecular_weight: 18.0 } },
      after: { expected_output: { molecular_weight: 18.015 } },
      reason: 'H2O is 2 × 1.008 + 15.999 = 18.015 g/mol, not 18.0',
    });
  });

  it('falls back to the problems when the repair has no report', async () => {
    const { gateway, requests } = scriptedGateway([{ testCorrections: [], ...codeOnly }]);
    const { stores, saved } = artifactStore({
      docs: { kind: 'docs', content: [] },
      'draft-1': { kind: 'implementation', content: firstDraft },
    });
    const repair = { previousDraftRef: 'draft-1', verdict: 'wrong_values' as const, problems: report.problems };
    const { draftRef } = await environment.run(
      createImplementActivity(gateway, stores),
      input(molecularWeightPlan, { attempt: 2, repair }),
    );
    assert.match(requests[0]!.user, /Failures:\n- test 2 \(input \{"smiles":"O"\}\): value mismatch/);
    assert.ok(!('testCorrections' in (saved.get(draftRef)!.content as object)), 'nothing corrected');
  });

  it('sends a plan whose tests call the function with unknown arguments back to the planner', () => {
    const plan = molecularWeightPlan as ToolPlan;
    assert.equal(plannedTestProblem(plan), null);
    const wrong = { ...plan, testCases: [{ ...plan.testCases![0]!, inputJson: '{"smile":"CCO"}' }] };
    assert.match(
      plannedTestProblem(wrong)!,
      /testCases\[0\] calls the function with smile, which is not a parameter of the plan \(smiles\)/,
    );
  });
});
