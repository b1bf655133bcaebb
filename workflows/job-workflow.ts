import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MirrorJobInput } from '../activities/mirror';
import type { SessionStatus } from '../store/documents';
import { llmActivityOptions, sandboxActivityOptions, storageActivityOptions } from './activity-options';
import {
  progressQuery,
  type GeneratedToolRef,
  type JobInput,
  type JobProgress,
  type JobResult,
  type ToolFailure,
  type ToolProgress,
  type ToolStage,
  type WorkflowJobStatus,
} from './definitions';
import { jobStageKey, jobStatusKey } from './search-attributes';

const llm = proxyActivities<Activities>(llmActivityOptions);
const sandbox = proxyActivities<Activities>(sandboxActivityOptions);
const storage = proxyActivities<Activities>(storageActivityOptions);

/** Session stages in order: a job's session shows the least advanced stage of its running tools. */
const SESSION_STAGE_ORDER: SessionStatus[] = ['pending', 'planning', 'searching', 'implementing', 'executing'];
const ACTIVE_STAGES: ToolStage[] = ['planning', 'searching', 'implementing', 'executing', 'registering'];

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
}

function failureReason(error: unknown): FailureReason {
  if (error instanceof ToolGenerationFailed) return { code: error.code, message: error.message };
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    return { code: cause.type ?? 'INTERNAL_ERROR', message: cause.message };
  }
  return { code: 'INTERNAL_ERROR', message: (cause as Error)?.message ?? String(cause) };
}

/**
 * One job: each requirement becomes a tool through plan → search docs → implement → validate →
 * register, all requirements at once, so one bad requirement never holds up or fails the others.
 */
export async function toolGenerationJob(input: JobInput): Promise<JobResult> {
  const { workflowId: jobId } = workflowInfo();
  const tools: ToolProgress[] = input.requirements.map((_, requirementIndex) => ({
    requirementIndex,
    stage: 'pending',
    name: null,
    toolId: null,
    error: null,
  }));
  const failures: ToolFailure[] = [];
  let status: WorkflowJobStatus = 'running';
  let currentToolIndex: number | null = null;
  let revision = 0;
  let totalTokens = 0;

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

  const mirror = async (error: MirrorJobInput['error'] = null) => {
    revision += 1;
    upsertSearchAttributes([
      { key: jobStatusKey, value: status },
      { key: jobStageKey, value: sessionStatus() },
    ]);
    await storage.mirrorJob({
      jobId,
      sessionId: input.sessionId,
      clientId: input.clientId,
      clientSessionId: input.clientSessionId,
      toolRequirements: revision === 1 ? input.requirements : null,
      requestedAt: input.requestedAt,
      sessionStatus: sessionStatus(),
      jobStatus: status,
      progress: progress(),
      failures,
      error,
      revision,
    });
  };

  const advance = async (index: number, stage: ToolStage) => {
    const tool = tools[index]!;
    tool.stage = stage;
    currentToolIndex = index;
    await mirror();
  };

  async function generateTool(index: number): Promise<GeneratedToolRef> {
    const requirement = input.requirements[index]!;
    const tool = tools[index]!;

    await advance(index, 'planning');
    const planned = await llm.planTool({ jobId, requirementIndex: index, requirement });
    totalTokens += planned.tokens;
    tool.name = planned.plan.functionName;

    await advance(index, 'searching');
    const { docs } = await sandbox.searchDocs({ plan: planned.plan });

    await advance(index, 'implementing');
    const implemented = await llm.implementTool({
      jobId,
      requirementIndex: index,
      requirement,
      plan: planned.plan,
      docs,
    });
    totalTokens += implemented.tokens;

    await advance(index, 'executing');
    const validation = await sandbox.validateTool({
      functionName: planned.plan.functionName,
      implementation: implemented.implementation,
    });
    if (!validation.passed) {
      throw new ToolGenerationFailed(
        'VALIDATION_FAILED',
        `The generated code failed validation (${validation.testsPassed}/${validation.testsRun} tests passed): ${validation.problems.join('; ')}`,
      );
    }

    await advance(index, 'registering');
    const registered = await storage.registerTool({
      idempotencyKey: `${jobId}:${index}`,
      jobId,
      sessionId: input.sessionId,
      requirementIndex: index,
      requirement,
      plan: planned.plan,
      implementation: implemented.implementation,
    });
    tool.toolId = registered.toolId;
    return { requirementIndex: index, toolId: registered.toolId, name: registered.name };
  }

  async function settleTool(index: number): Promise<GeneratedToolRef | FailureReason> {
    try {
      const generated = await generateTool(index);
      await advance(index, 'completed');
      return generated;
    } catch (error) {
      const reason = failureReason(error);
      tools[index]!.error = reason.message;
      failures.push({
        requirementIndex: index,
        toolRequirement: input.requirements[index]!,
        code: reason.code,
        error: reason.message,
      });
      await advance(index, 'failed');
      return reason;
    }
  }

  await mirror();
  const outcomes = await Promise.all(input.requirements.map((_, index) => settleTool(index)));
  const generated = outcomes.filter((outcome): outcome is GeneratedToolRef => 'toolId' in outcome);
  failures.sort((a, b) => a.requirementIndex - b.requirementIndex);
  currentToolIndex = null;

  // When every tool failed on the model service itself (bad key, no key), the job could not run at all.
  const serviceFailures = outcomes.filter(
    (outcome): outcome is FailureReason => 'code' in outcome && outcome.code === 'AI_SERVICE_ERROR',
  );
  if (generated.length === 0 && serviceFailures.length === outcomes.length) {
    status = 'failed';
    const message = serviceFailures[0]!.message;
    await mirror({ code: 'AI_SERVICE_ERROR', message });
    throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message, nonRetryable: true });
  }

  status = 'completed';
  await mirror();
  return {
    tools: generated,
    failures,
    summary: { totalRequested: tools.length, successful: generated.length, failed: failures.length, totalTokens },
  };
}
