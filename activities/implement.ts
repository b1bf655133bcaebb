import type { ToolPlan, DocSnippet } from '../contract';
import type { LlmGateway } from '../llm/gateway';
import { implementPrompt, type RepairContext, type Requirement } from '../llm/prompts';
import { toImplementedTool, toolImplementationSchema, type ImplementedTool } from '../llm/schemas';
import type { Stores } from '../store';
import { Context } from '@temporalio/activity';
import { modelCallContext } from './model-usage';
import type { ValidationVerdict } from './validate';

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
  repair: { previousDraftRef: string; verdict: Exclude<ValidationVerdict, 'passed'>; problems: string[] } | null;
}

export interface ImplementToolOutput {
  draftRef: string;
  tokens: number;
}

export function createImplementActivity(llm: LlmGateway, stores: Stores) {
  return async function implementTool(input: ImplementToolInput): Promise<ImplementToolOutput> {
    const docs = await stores.artifacts.load<DocSnippet[]>(input.docsRef, 'docs');
    let repair: RepairContext | null = null;
    if (input.repair) {
      const previous = await stores.artifacts.load<ImplementedTool>(input.repair.previousDraftRef, 'implementation');
      repair = {
        attempt: input.attempt,
        previousCode: previous.code,
        verdict: input.repair.verdict,
        problems: input.repair.problems,
      };
    }
    const reply = await llm.completeStructured({
      context: modelCallContext(input.jobId, input.requirementIndex, input.attempt === 1 ? 'implement' : 'repair'),
      schemaName: 'tool_implementation',
      schema: toolImplementationSchema,
      ...implementPrompt(input.requirement, input.plan, docs, repair),
      signal: Context.current().cancellationSignal,
    });
    const draftRef = await stores.artifacts.save({
      jobId: input.jobId,
      requirementIndex: input.requirementIndex,
      kind: 'implementation',
      key: `${input.workKey}:${input.requirementIndex}:implementation:${input.attempt}`,
      content: toImplementedTool(reply.value, input.requirement.examples, input.attempt),
    });
    return { draftRef, tokens: reply.totalTokens };
  };
}
