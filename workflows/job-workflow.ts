import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ImplementToolInput, ImplementToolOutput } from '../activities/implement';
import type { MirrorJobInput } from '../activities/mirror';
import type { ValidateToolOutput } from '../activities/validate';
import type { ToolPlan, SessionStatus } from '../contract';
import {
  activityTaskQueue,
  docsActivityOptions,
  llmActivityOptions,
  mirrorActivityOptions,
  mirrorLocalActivityOptions,
  sandboxActivityOptions,
  storageActivityOptions,
  type ActivityQueueKind,
} from './activity-options';
import {
  eventsQuery,
  progressQuery,
  type GeneratedToolRef,
  type JobEvent,
  type JobInput,
  type JobProgress,
  type JobResult,
  type ToolFailure,
  type ToolProgress,
  type ToolStage,
  type WorkflowJobStatus,
} from './definitions';
import { describeTools } from './details';
import { survivingInfrastructure } from './infrastructure-retries';
import { jobStageKey, jobStatusKey } from './search-attributes';

const llm = proxyActivities<Activities>(llmActivityOptions);
const sandbox = proxyActivities<Activities>(sandboxActivityOptions);
const docs = proxyActivities<Activities>(docsActivityOptions);
const storage = proxyActivities<Activities>(storageActivityOptions);
const mirrorStore = proxyActivities<Activities>(mirrorActivityOptions);
const localMirrorStore = proxyLocalActivities<Activities>(mirrorLocalActivityOptions);

/** Session stages in order: a job's session shows the least advanced stage of its running tools. */
const SESSION_STAGE_ORDER: SessionStatus[] = ['pending', 'planning', 'searching', 'implementing', 'executing'];
const ACTIVE_STAGES: ToolStage[] = ['planning', 'searching', 'implementing', 'executing', 'registering'];
/** Each run's mirror revisions start above every earlier run's, so a retry's writes are never taken as stale. */
const REVISIONS_PER_RUN = 1_000_000;
/** Runs started before tool reuse existed replay without its lookup. */
export const REUSE_PATCH = 'reuse-registered-tools';
/** Runs started before the LLM and sandbox activities had their own task queues keep them on the workflow's. */
export const SEPARATE_TASK_QUEUES_PATCH = 'separate-task-queues';
/** Runs started before the mirror was a local activity keep scheduling it on the task queue. */
export const LOCAL_MIRROR_PATCH = 'mirror-as-local-activity';

function queueOf(kind: ActivityQueueKind): { taskQueue?: string } {
  return patched(SEPARATE_TASK_QUEUES_PATCH) ? { taskQueue: activityTaskQueue(workflowInfo().taskQueue, kind) } : {};
}

class ToolGenerationFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface FailureReason {
  code: string;
  message: string;
  /** the model service refused us (bad or missing key): retrying this job as it is cannot help */
  serviceRefused: boolean;
}

function failureReason(error: unknown, toolDeadlineMs: number): FailureReason {
  if (error instanceof ToolGenerationFailed) return { code: error.code, message: error.message, serviceRefused: false };
  if (isCancellation(error)) {
    return {
      code: 'GENERATION_TIMEOUT',
      message: `The tool was not finished within its deadline of ${Math.round(toolDeadlineMs / 1000)} s.`,
      serviceRefused: false,
    };
  }
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const code = cause.type ?? 'INTERNAL_ERROR';
    return { code, message: cause.message, serviceRefused: code === 'AI_SERVICE_ERROR' && cause.nonRetryable === true };
  }
  return { code: 'INTERNAL_ERROR', message: (cause as Error)?.message ?? String(cause), serviceRefused: false };
}

function describeValidationFailure(validation: ValidateToolOutput, attempts: number): string {
  return (
    `The generated code still failed validation after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
    `(${validation.testsPassed}/${validation.testsRun} tests passed, ${validation.verdict.replace('_', ' ')}): ${validation.problems.join('; ')}`
  );
}

/**
 * One job: each requirement becomes a tool through plan → search docs → implement → validate
 * (→ repair, a bounded number of times) → register. All requirements run at once, each in its own
 * chain, so one bad requirement never holds up or fails the others. A retry is a new run of the
 * same workflow id that keeps the tools earlier runs made and regenerates only the rest.
 */
export async function toolGenerationJob(input: JobInput): Promise<JobResult> {
  const { workflowId: jobId, runId } = workflowInfo();
  const { maxRepairRounds, toolDeadlineMs } = input.settings;
  const runNumber = input.previousRun?.runNumber ?? 0;
  /** idempotency keys of this run's writes: a retry must not find the failed run's drafts and tools */
  const workKey = runNumber === 0 ? jobId : `${jobId}~retry${runNumber}`;
  const kept = new Map((input.previousRun?.keptTools ?? []).map((tool) => [tool.requirementIndex, tool]));

  const tools: ToolProgress[] = input.requirements.map((_, requirementIndex) => {
    const keptTool = kept.get(requirementIndex);
    return {
      requirementIndex,
      stage: keptTool ? 'completed' : 'pending',
      name: keptTool?.name ?? null,
      attempts: 0,
      toolId: keptTool?.toolId ?? null,
      error: null,
    };
  });
  const takenNames = new Set<string>([...kept.values()].map((tool) => tool.name));
  const failures: ToolFailure[] = [];
  const events: JobEvent[] = [];
  let status: WorkflowJobStatus = 'running';
  let currentToolIndex: number | null = null;
  let revision = runNumber * REVISIONS_PER_RUN;
  let totalTokens = 0;
  let jobError: MirrorJobInput['error'] = null;
  /** set when the run completes, so the final mirror holds the whole answer and the API need not ask Temporal */
  let finalSummary: JobResult['summary'] | null = null;

  const progress = (): JobProgress => {
    const count = (stages: ToolStage[]) => tools.filter((tool) => stages.includes(tool.stage)).length;
    const current = currentToolIndex === null ? undefined : tools[currentToolIndex];
    return {
      total: tools.length,
      completed: count(['completed']),
      failed: count(['failed']),
      inProgress: count(ACTIVE_STAGES),
      currentTool: current && ACTIVE_STAGES.includes(current.stage) ? (current.name ?? null) : null,
    };
  };

  const sessionStatus = (): SessionStatus => {
    if (status !== 'running') return status;
    const active = tools.filter((tool) => ACTIVE_STAGES.includes(tool.stage));
    if (active.length === 0) return 'pending';
    const rank = (stage: ToolStage) => {
      const index = SESSION_STAGE_ORDER.indexOf(stage as SessionStatus);
      return index === -1 ? SESSION_STAGE_ORDER.length - 1 : index;
    };
    return SESSION_STAGE_ORDER[Math.min(...active.map((tool) => rank(tool.stage)))] ?? 'executing';
  };

  setHandler(progressQuery, () => ({ status, progress: progress(), tools }));
  setHandler(eventsQuery, (afterSeq) => ({
    runNumber,
    status,
    progress: progress(),
    events: events.filter((event) => event.seq > afterSeq),
  }));

  const mirrorNow = async () => {
    revision += 1;
    upsertSearchAttributes([
      { key: jobStatusKey, value: status },
      { key: jobStageKey, value: sessionStatus() },
    ]);
    setCurrentDetails(describeTools(status, tools, input.requirements));
    const store = patched(LOCAL_MIRROR_PATCH) ? localMirrorStore : mirrorStore;
    await store.mirrorJob({
      jobId,
      sessionId: input.sessionId,
      tenantId: input.tenantId,
      reuseTools: input.options?.reuse ?? true,
      clientId: input.clientId,
      clientSessionId: input.clientSessionId,
      toolRequirements: revision === runNumber * REVISIONS_PER_RUN + 1 ? input.requirements : null,
      requestedAt: input.requestedAt,
      runNumber,
      sessionStatus: sessionStatus(),
      jobStatus: status,
      progress: progress(),
      tools,
      failures,
      error: jobError,
      revision,
      runId,
      summary: finalSummary,
    });
  };

  /**
   * One mirror write in flight at a time, always of the latest state: stage changes that happen
   * while a write is under way are coalesced into the next one, and no tool waits for MongoDB.
   * Not cancellable: a cancelled job still records that it was cancelled.
   */
  let mirrorWanted = true;
  let finalStateReached = false;
  const mirroring = CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => mirrorWanted || finalStateReached);
      if (!mirrorWanted) return;
      mirrorWanted = false;
      await mirrorNow();
    }
  });
  const finishMirroring = async () => {
    mirrorWanted = true;
    finalStateReached = true;
    await mirroring;
  };

  const advance = (index: number, stage: ToolStage) => {
    const tool = tools[index]!;
    tool.stage = stage;
    currentToolIndex = index;
    events.push({
      seq: events.length + 1,
      requirementIndex: index,
      toolName: tool.name,
      stage,
      attempts: tool.attempts,
    });
    mirrorWanted = true;
  };

  /** Function names are unique within a job: a second tool planned with a taken name gets a suffix. */
  const claimName = (planned: string): string => {
    let name = planned;
    for (let suffix = 2; takenNames.has(name); suffix += 1) name = `${planned}_${suffix}`;
    takenNames.add(name);
    return name;
  };

  interface ToolWork {
    plan: ToolPlan | null;
    lastDraftRef: string | null;
  }

  async function generateTool(index: number, work: ToolWork): Promise<GeneratedToolRef> {
    const requirement = input.requirements[index]!;
    const tool = tools[index]!;

    advance(index, 'planning');
    const planned = await survivingInfrastructure(() =>
      llm.planTool.executeWithOptions(
        { ...llmActivityOptions, ...queueOf('llm'), summary: `plan requirement ${index + 1}` },
        [{ jobId, requirementIndex: index, requirement }],
      ),
    );
    totalTokens += planned.tokens;
    const plan: ToolPlan = { ...planned.plan, functionName: claimName(planned.plan.functionName) };
    work.plan = plan;
    tool.name = plan.functionName;

    advance(index, 'searching');
    const { docsRef } = await survivingInfrastructure(() =>
      docs.searchDocs.executeWithOptions({ ...docsActivityOptions, summary: `search docs for ${plan.functionName}` }, [
        { jobId, workKey, requirementIndex: index, plan },
      ]),
    );

    let validation: ValidateToolOutput | null = null;
    for (let attempt = 1; attempt <= 1 + maxRepairRounds; attempt += 1) {
      tool.attempts = attempt;
      advance(index, 'implementing');
      const repair: ImplementToolInput['repair'] =
        validation && validation.verdict !== 'passed' && work.lastDraftRef
          ? { previousDraftRef: work.lastDraftRef, verdict: validation.verdict, problems: validation.problems }
          : null;
      const implemented: ImplementToolOutput = await survivingInfrastructure(() =>
        llm.implementTool.executeWithOptions(
          { ...llmActivityOptions, ...queueOf('llm'), summary: `implement ${plan.functionName}, attempt ${attempt}` },
          [{ jobId, workKey, requirementIndex: index, attempt, requirement, plan, docsRef, repair }],
        ),
      );
      totalTokens += implemented.tokens;
      work.lastDraftRef = implemented.draftRef;

      advance(index, 'executing');
      const validated: ValidateToolOutput = await survivingInfrastructure(() =>
        sandbox.validateTool.executeWithOptions(
          {
            ...sandboxActivityOptions,
            ...queueOf('sandbox'),
            summary: `validate ${plan.functionName}, attempt ${attempt}`,
          },
          [{ functionName: plan.functionName, draftRef: implemented.draftRef }],
        ),
      );
      validation = validated;
      if (validation.verdict === 'passed') break;
    }
    if (!validation || validation.verdict !== 'passed') {
      throw new ToolGenerationFailed('VALIDATION_FAILED', describeValidationFailure(validation!, tool.attempts));
    }

    advance(index, 'registering');
    const registered = await storage.registerTool.executeWithOptions(
      { ...storageActivityOptions, summary: `register ${plan.functionName}` },
      [
        {
          idempotencyKey: `${workKey}:${index}`,
          tenantId: input.tenantId,
          jobId,
          sessionId: input.sessionId,
          requirementIndex: index,
          requirement,
          plan,
          draftRef: work.lastDraftRef!,
          status: 'registered',
          errors: [],
        },
      ],
    );
    tool.toolId = registered.toolId;
    return { requirementIndex: index, toolId: registered.toolId, name: registered.name };
  }

  /**
   * Requirements equal to an earlier job's registered tool take that tool: no model call, no new
   * version. Off with `options.reuse: false`.
   */
  async function reuseRegisteredTools(): Promise<void> {
    const wanted = tools.filter((tool) => tool.stage === 'pending').map((tool) => tool.requirementIndex);
    if (input.options?.reuse === false || wanted.length === 0 || !patched(REUSE_PATCH)) return;
    const found = await storage.findReusableTools.executeWithOptions(
      { ...storageActivityOptions, summary: `look for registered tools to reuse (${wanted.length} requirements)` },
      [
        {
          tenantId: input.tenantId,
          requirements: wanted.map((index) => ({ requirementIndex: index, requirement: input.requirements[index]! })),
        },
      ],
    );
    for (const ref of found) {
      kept.set(ref.requirementIndex, ref);
      takenNames.add(ref.name);
      const tool = tools[ref.requirementIndex]!;
      Object.assign(tool, { name: ref.name, toolId: ref.toolId, reused: true });
      advance(ref.requirementIndex, 'completed');
    }
  }

  async function settleTool(index: number): Promise<GeneratedToolRef | FailureReason> {
    const keptTool = kept.get(index);
    if (keptTool) return keptTool;
    const work: ToolWork = { plan: null, lastDraftRef: null };
    try {
      const generated = await CancellationScope.withTimeout(toolDeadlineMs, () => generateTool(index, work));
      advance(index, 'completed');
      return generated;
    } catch (error) {
      // The whole job was cancelled (not this tool's deadline): let the cancellation through.
      if (isCancellation(error) && CancellationScope.current().consideredCancelled) throw error;
      const reason = failureReason(error, toolDeadlineMs);
      const tool = tools[index]!;
      tool.error = reason.message;
      if (work.plan && work.lastDraftRef) {
        // Kept, with its last code and what was wrong with it, for a person (or a retry) to pick up.
        const stored = await storage.registerTool({
          idempotencyKey: `${workKey}:${index}`,
          tenantId: input.tenantId,
          jobId,
          sessionId: input.sessionId,
          requirementIndex: index,
          requirement: input.requirements[index]!,
          plan: work.plan,
          draftRef: work.lastDraftRef,
          status: 'failed',
          errors: [reason.message],
        });
        tool.toolId = stored.toolId;
      }
      failures.push({
        requirementIndex: index,
        toolRequirement: input.requirements[index]!,
        code: reason.code,
        error: reason.message,
      });
      advance(index, 'failed');
      return reason;
    }
  }

  let outcomes: (GeneratedToolRef | FailureReason)[];
  try {
    await reuseRegisteredTools();
    outcomes = await Promise.all(input.requirements.map((_, index) => settleTool(index)));
  } catch (error) {
    if (!isCancellation(error)) throw error;
    status = 'cancelled';
    tools.forEach((tool, index) => {
      if (tool.stage === 'pending' || ACTIVE_STAGES.includes(tool.stage)) advance(index, 'cancelled');
    });
    currentToolIndex = null;
    await finishMirroring();
    throw error;
  }
  const generated = outcomes.filter((outcome): outcome is GeneratedToolRef => 'toolId' in outcome);
  generated.sort((a, b) => a.requirementIndex - b.requirementIndex);
  failures.sort((a, b) => a.requirementIndex - b.requirementIndex);
  currentToolIndex = null;

  // Every tool refused by the model service itself (no key, rejected key): the job could not run at all.
  const refusals = outcomes.filter(
    (outcome): outcome is FailureReason => 'serviceRefused' in outcome && outcome.serviceRefused,
  );
  if (generated.length === 0 && refusals.length === outcomes.length) {
    status = 'failed';
    const message = refusals[0]!.message;
    jobError = { code: 'AI_SERVICE_ERROR', message };
    await finishMirroring();
    throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message, nonRetryable: true });
  }

  status = 'completed';
  finalSummary = {
    totalRequested: tools.length,
    successful: generated.length,
    failed: failures.length,
    totalTokens,
    reused: tools.filter((tool) => tool.reused).length,
  };
  await finishMirroring();
  return { tools: generated, failures, summary: finalSummary };
}
