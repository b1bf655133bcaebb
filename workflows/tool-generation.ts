import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { ImplementToolInput, ImplementToolOutput } from '../activities/implement';
import type { RegisterToolInput } from '../activities/register';
import type { ValidateToolOutput } from '../activities/validate';
import type { ToolPlan } from '../contract';
import type { GeneratedToolRef } from './definitions';
import type { JobState } from './job-state';
import { REUSE_PATCH } from './patches';
import { callStage } from './stages';
import { failureReason, validationFailed, type ToolOutcome } from './tool-failure';

// The awaits below are where the workflow has always had them: with tools in parallel, moving one
// (or wrapping a call in another async function) changes the order of the tools' commands within a
// workflow task, and runs in flight would no longer replay.

/** What one tool's generation has made so far: a failed tool keeps its last draft. */
interface ToolWork {
  plan: ToolPlan | null;
  lastDraftRef: string | null;
}

/** The tool's registration, as `registered` or (its last draft, with what was wrong) as `failed`. */
function registration(
  state: JobState,
  index: number,
  plan: ToolPlan,
  draftRef: string,
  outcome: Pick<RegisterToolInput, 'status' | 'errors'>,
): RegisterToolInput {
  return {
    idempotencyKey: `${state.workKey}:${index}`,
    tenantId: state.input.tenantId,
    jobId: state.jobId,
    sessionId: state.input.sessionId,
    requirementIndex: index,
    requirement: state.requirement(index),
    plan,
    draftRef,
    status: outcome.status,
    errors: outcome.errors,
  };
}

/** The job's own model for its model calls (`options.model`), or nothing: the worker's configured ones. */
function modelOf(state: JobState): { model?: string } {
  const model = state.input.options?.model;
  return model === undefined ? {} : { model };
}

/** plan → search docs → implement → validate (→ repair, a bounded number of times) → register */
async function generateTool(state: JobState, index: number, work: ToolWork): Promise<GeneratedToolRef> {
  const { jobId, workKey } = state;
  const requirement = state.requirement(index);
  const { settings } = state.input;
  const model = modelOf(state);

  state.startStage(index, 'planning');
  const planned = await callStage(
    'planTool',
    { jobId, requirementIndex: index, requirement, ...model },
    `plan requirement ${index + 1}`,
    settings,
  );
  state.addTokens(planned.tokens);
  const plan: ToolPlan = { ...planned.plan, functionName: state.planned(index, planned.plan.functionName) };
  work.plan = plan;

  state.startStage(index, 'searching');
  const { docsRef } = await callStage(
    'searchDocs',
    { jobId, workKey, requirementIndex: index, plan },
    `search docs for ${plan.functionName}`,
  );

  let validation: ValidateToolOutput | null = null;
  for (let attempt = 1; attempt <= 1 + settings.maxRepairRounds; attempt += 1) {
    state.startAttempt(index, attempt);
    const repair: ImplementToolInput['repair'] =
      validation && validation.verdict !== 'passed' && work.lastDraftRef
        ? {
            previousDraftRef: work.lastDraftRef,
            verdict: validation.verdict,
            problems: validation.problems,
            ...(validation.reportRef === undefined ? {} : { reportRef: validation.reportRef }),
          }
        : null;
    const implemented: ImplementToolOutput = await callStage(
      'implementTool',
      { jobId, workKey, requirementIndex: index, attempt, requirement, plan, docsRef, repair, ...model },
      `implement ${plan.functionName}, attempt ${attempt}`,
      settings,
    );
    state.addTokens(implemented.tokens);
    work.lastDraftRef = implemented.draftRef;

    state.startStage(index, 'executing');
    validation = await callStage(
      'validateTool',
      { functionName: plan.functionName, draftRef: implemented.draftRef },
      `validate ${plan.functionName}, attempt ${attempt}`,
    );
    if (validation.verdict === 'passed') break;
  }
  if (!validation || validation.verdict !== 'passed') throw validationFailed(validation!, state.attemptsOf(index));

  state.startStage(index, 'registering');
  const registered = await callStage(
    'registerTool',
    registration(state, index, plan, work.lastDraftRef!, { status: 'registered', errors: [] }),
    `register ${plan.functionName}`,
  );
  state.registered(index, registered.toolId);
  return { requirementIndex: index, toolId: registered.toolId, name: registered.name };
}

/**
 * One requirement to its end: the tool kept from an earlier run, or a new one generated within the
 * tool's deadline, or a recorded failure (its last draft kept, for a person or a retry to pick up).
 * A cancellation of the whole job goes through.
 */
export async function settleTool(state: JobState, index: number): Promise<ToolOutcome> {
  const keptTool = state.keptTool(index);
  if (keptTool) return keptTool;
  const { toolDeadlineMs } = state.input.settings;
  const work: ToolWork = { plan: null, lastDraftRef: null };
  try {
    const generated = await CancellationScope.withTimeout(toolDeadlineMs, () => generateTool(state, index, work));
    state.startStage(index, 'completed');
    return generated;
  } catch (error) {
    // The whole job was cancelled (not this tool's deadline): let the cancellation through.
    if (isCancellation(error) && CancellationScope.current().consideredCancelled) throw error;
    const reason = failureReason(error, toolDeadlineMs);
    state.failing(index, reason.message);
    let keptDraftId: string | undefined;
    if (work.plan && work.lastDraftRef) {
      const stored = await callStage(
        'registerTool',
        registration(state, index, work.plan, work.lastDraftRef, { status: 'failed', errors: [reason.message] }),
      );
      keptDraftId = stored.toolId;
    }
    state.failed(index, reason, keptDraftId);
    return reason;
  }
}

/**
 * Requirements equal to an earlier job's registered tool take that tool: no model call, no new
 * version. Off with `options.reuse: false`.
 */
export async function reuseRegisteredTools(state: JobState): Promise<void> {
  const wanted = state.pendingRequirements();
  if (state.input.options?.reuse === false || wanted.length === 0 || !patched(REUSE_PATCH)) return;
  const found = await callStage(
    'findReusableTools',
    {
      tenantId: state.input.tenantId,
      requirements: wanted.map((index) => ({ requirementIndex: index, requirement: state.requirement(index) })),
    },
    `look for registered tools to reuse (${wanted.length} requirements)`,
  );
  state.reused(found);
}
