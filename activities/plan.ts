import { plannedTestInput, toolPlanSchema, type ToolPlan } from '../contract';
import type { LlmGateway } from '../llm/gateway';
import { planPrompt, type Requirement } from '../llm/prompts';
import { Context } from '@temporalio/activity';
import { modelCallContext } from './model-usage';

export interface PlanToolInput {
  jobId: string;
  requirementIndex: number;
  requirement: Requirement;
  /** the job's options.model (absent: the worker's configured model for the plan stage) */
  model?: string;
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

/**
 * A planned test must call the function it plans: its keyword arguments are among the parameters.
 * The implementer cannot change a test's input, so a wrong one is sent back to the planner.
 */
export function plannedTestProblem(plan: ToolPlan): string | null {
  const parameters = new Set(plan.parameters.map((parameter) => parameter.name));
  for (const [index, test] of (plan.testCases ?? []).entries()) {
    const unknown = Object.keys(plannedTestInput(test)).filter((name) => !parameters.has(name));
    if (unknown.length > 0) {
      return `testCases[${index}] calls the function with ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a parameter' : 'are not parameters'} of the plan (${[...parameters].join(', ')}): use the parameter names as the keys of inputJson`;
    }
  }
  return null;
}

export function createPlanActivity(llm: LlmGateway, installedPackages: string[]) {
  return async function planTool(input: PlanToolInput): Promise<PlanToolOutput> {
    const reply = await llm.completeStructured({
      context: modelCallContext(input.jobId, input.requirementIndex, 'plan'),
      ...(input.model === undefined ? {} : { model: input.model }),
      schemaName: 'tool_plan',
      schema: toolPlanSchema,
      ...planPrompt(input.requirement, installedPackages),
      check: (plan) => {
        const unknown = unknownDependencies(plan, installedPackages);
        if (unknown.length > 0) {
          return `dependencies ${unknown.join(', ')} are not installed in the tool runtime; use only ${installedPackages.join(', ')} or the standard library (which needs no entry)`;
        }
        return plannedTestProblem(plan);
      },
      signal: Context.current().cancellationSignal,
    });
    return { plan: reply.value, tokens: reply.totalTokens };
  };
}
