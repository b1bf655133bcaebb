import type { DocSnippet, TestCase, TestExpectation, ToolPlan } from '../contract';
import type { LlmGateway, StructuredRequest } from '../llm/gateway';
import { implementPrompt, type RepairContext, type Requirement } from '../llm/prompts';
import {
  applyTestCorrections,
  correctionProblem,
  isClientTest,
  plannedTestCase,
  toDraft,
  toImplementedTool,
  toolCodeSchema,
  toolImplementationSchema,
  toolRepairSchema,
  type ImplementedTool,
} from '../llm/schemas';
import type { Stores } from '../store';
import type { TestCorrectionDocument, TestExpectationDocument, ToolDocument } from '../store/documents';
import { Context } from '@temporalio/activity';
import { modelCallContext } from './model-usage';
import { loadValidationReport, type ValidationVerdict } from './validate';

export interface ImplementToolInput {
  jobId: string;
  /** the run's idempotency prefix (the job id, or the job id and retry number) */
  workKey: string;
  requirementIndex: number;
  /** 1 for the first implementation, then one more per repair */
  attempt: number;
  requirement: Requirement;
  plan: ToolPlan;
  docsRef: string;
  repair: {
    previousDraftRef: string;
    verdict: Exclude<ValidationVerdict, 'passed'>;
    problems: string[];
    /** the previous attempt's validation report (absent in runs recorded before reports: `problems` then) */
    reportRef?: string;
  } | null;
  /** the job's options.model (absent: the worker's configured model for implementations) */
  model?: string;
}

export interface ImplementToolOutput {
  draftRef: string;
  tokens: number;
}

/** What a repair is told about the attempt before it: its code and schemas, and validation's findings. */
async function repairContext(
  stores: Stores,
  input: ImplementToolInput,
): Promise<{ previous: ImplementedTool; context: RepairContext } | null> {
  if (!input.repair) return null;
  const previous = await stores.artifacts.load<ImplementedTool>(input.repair.previousDraftRef, 'implementation');
  const report = input.repair.reportRef ? await loadValidationReport(stores.artifacts, input.repair.reportRef) : null;
  return {
    previous,
    context: {
      attempt: input.attempt,
      previousCode: previous.code,
      previousInputSchema: previous.inputSchema,
      previousOutputSchema: previous.outputSchema,
      verdict: input.repair.verdict,
      problems: input.repair.problems,
      report,
    },
  };
}

export function createImplementActivity(llm: LlmGateway, stores: Stores) {
  return async function implementTool(input: ImplementToolInput): Promise<ImplementToolOutput> {
    const docs = await stores.artifacts.load<DocSnippet[]>(input.docsRef, 'docs');
    const repair = await repairContext(stores, input);
    const examples = input.requirement.examples;
    const request = {
      context: modelCallContext(input.jobId, input.requirementIndex, repair ? 'repair' : 'implement'),
      ...(input.model === undefined ? {} : { model: input.model }),
      schemaName: 'tool_implementation',
      signal: Context.current().cancellationSignal,
    } satisfies Partial<StructuredRequest<never>>;

    let content: ImplementedTool;
    let tokens: number;
    const planned = input.plan.testCases;
    if (!planned) {
      // A plan made before plans carried the tests (a run started then): the implementer writes them, as it did.
      const reply = await llm.completeStructured({
        ...request,
        schema: toolImplementationSchema,
        ...implementPrompt(input.requirement, input.plan, docs, repair?.context ?? null),
      });
      content = toImplementedTool(reply.value, examples, input.attempt);
      tokens = reply.totalTokens;
    } else if (!repair) {
      // The tests were written with the plan, apart from the code: this call writes the code only.
      const modelTests = planned.map(plannedTestCase);
      const reply = await llm.completeStructured({
        ...request,
        schema: toolCodeSchema,
        ...implementPrompt(input.requirement, input.plan, docs, null, modelTests),
      });
      content = toDraft(reply.value, modelTests, examples, input.attempt);
      tokens = reply.totalTokens;
    } else {
      // A repair may correct a model-written test (with its reason), never a client's example.
      const { previous } = repair;
      const modelTests = previous.testCases.filter((testCase: TestCase) => !isClientTest(testCase));
      const reply = await llm.completeStructured({
        ...request,
        schema: toolRepairSchema,
        ...implementPrompt(input.requirement, input.plan, docs, repair.context, modelTests),
        check: (value) => correctionProblem(value.testCorrections, previous.testCases),
      });
      const corrected = applyTestCorrections(previous.testCases, reply.value.testCorrections, input.attempt);
      content = toDraft(
        reply.value,
        corrected.testCases.filter((testCase) => !isClientTest(testCase)),
        examples,
        input.attempt,
        [...(previous.testCorrections ?? []), ...corrected.made],
      );
      tokens = reply.totalTokens;
    }
    const draftRef = await stores.artifacts.save({
      jobId: input.jobId,
      requirementIndex: input.requirementIndex,
      kind: 'implementation',
      key: `${input.workKey}:${input.requirementIndex}:implementation:${input.attempt}`,
      content,
    });
    return { draftRef, tokens };
  };
}

function expectationDocument(expectation: TestExpectation): TestExpectationDocument {
  return expectation.raises === undefined
    ? { expected_output: expectation.expectedOutput }
    : { raises: expectation.raises, ...(expectation.match === undefined ? {} : { match: expectation.match }) };
}

/** The draft's corrections of model-written tests, as the tool keeps them (nothing when there were none). */
export function testCorrectionDocuments(draft: ImplementedTool): Pick<ToolDocument, 'test_corrections'> {
  if (!draft.testCorrections?.length) return {};
  const documents: TestCorrectionDocument[] = draft.testCorrections.map((correction) => ({
    test: correction.test,
    attempt: correction.attempt,
    before: expectationDocument(correction.before),
    after: expectationDocument(correction.after),
    reason: correction.reason,
  }));
  return { test_corrections: documents };
}
