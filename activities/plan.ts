import type { LlmGateway } from '../llm/gateway';
import { planPrompt, type Requirement } from '../llm/prompts';
import { toolPlanSchema, type ToolPlan } from '../llm/schemas';

export interface PlanToolInput {
  jobId: string;
  requirementIndex: number;
  requirement: Requirement;
}

export interface PlanToolOutput {
  plan: ToolPlan;
  tokens: number;
}

export function createPlanActivity(llm: LlmGateway, installedPackages: string[]) {
  return async function planTool(input: PlanToolInput): Promise<PlanToolOutput> {
    const prompt = planPrompt(input.requirement, installedPackages);
    const reply = await llm.completeStructured({
      context: { jobId: input.jobId, requirementIndex: input.requirementIndex, step: 'plan' },
      schemaName: 'tool_plan',
      schema: toolPlanSchema,
      ...prompt,
    });
    return { plan: reply.value, tokens: reply.totalTokens };
  };
}
