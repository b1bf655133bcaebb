import { toolPlanSchema, type ToolPlan } from '../contract';
import type { LlmGateway } from '../llm/gateway';
import { planPrompt, type Requirement } from '../llm/prompts';
import { Context } from '@temporalio/activity';
import { modelCallContext } from './model-usage';

export interface PlanToolInput {
  jobId: string;
  requirementIndex: number;
  requirement: Requirement;
}

export interface PlanToolOutput {
  plan: ToolPlan;
  tokens: number;
}

/** Import names people (and models) use for distributions whose names differ. */
const IMPORT_NAME_ALIASES: Record<string, string> = { pil: 'pillow' };

export function unknownDependencies(plan: ToolPlan, installedPackages: string[]): string[] {
  return plan.dependencies.filter((dependency) => {
    const name = dependency.trim().toLowerCase();
    return !installedPackages.includes(IMPORT_NAME_ALIASES[name] ?? name);
  });
}

export function createPlanActivity(llm: LlmGateway, installedPackages: string[]) {
  return async function planTool(input: PlanToolInput): Promise<PlanToolOutput> {
    const reply = await llm.completeStructured({
      context: modelCallContext(input.jobId, input.requirementIndex, 'plan'),
      schemaName: 'tool_plan',
      schema: toolPlanSchema,
      ...planPrompt(input.requirement, installedPackages),
      check: (plan) => {
        const unknown = unknownDependencies(plan, installedPackages);
        return unknown.length === 0
          ? null
          : `dependencies ${unknown.join(', ')} are not installed in the tool runtime; use only ${installedPackages.join(', ')} or the standard library (which needs no entry)`;
      },
      signal: Context.current().cancellationSignal,
    });
    return { plan: reply.value, tokens: reply.totalTokens };
  };
}
