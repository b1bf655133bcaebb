import type { LlmGateway } from '../llm/gateway';
import { implementPrompt, type DocSnippet, type Requirement } from '../llm/prompts';
import { toImplementedTool, toolImplementationSchema, type ImplementedTool, type ToolPlan } from '../llm/schemas';

export interface ImplementToolInput {
  jobId: string;
  requirementIndex: number;
  requirement: Requirement;
  plan: ToolPlan;
  docs: DocSnippet[];
}

export interface ImplementToolOutput {
  implementation: ImplementedTool;
  tokens: number;
}

export function createImplementActivity(llm: LlmGateway) {
  return async function implementTool(input: ImplementToolInput): Promise<ImplementToolOutput> {
    const reply = await llm.completeStructured({
      context: { jobId: input.jobId, requirementIndex: input.requirementIndex, step: 'implement' },
      schemaName: 'tool_implementation',
      schema: toolImplementationSchema,
      ...implementPrompt(input.requirement, input.plan, input.docs),
    });
    return { implementation: toImplementedTool(reply.value), tokens: reply.totalTokens };
  };
}
