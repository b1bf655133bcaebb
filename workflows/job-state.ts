import type { MirrorJobInput } from '../activities/mirror';
import type {
  GeneratedToolRef,
  JobEvent,
  JobEventsView,
  JobInput,
  JobProgressView,
  JobResult,
  SessionStatus,
  ToolFailure,
  ToolProgress,
  ToolRequirement,
  ToolStage,
  WorkflowJobProgress,
  WorkflowJobStatus,
} from '../contract';
import { describeTools } from './details';

/** Session stages in order: a job's session shows the least advanced stage of its running tools. */
const SESSION_STAGE_ORDER: SessionStatus[] = ['pending', 'planning', 'searching', 'implementing', 'executing'];
const ACTIVE_STAGES: ToolStage[] = ['planning', 'searching', 'implementing', 'executing', 'registering'];
/** Each run's mirror revisions start above every earlier run's, so a retry's writes are never taken as stale. */
export const REVISIONS_PER_RUN = 1_000_000;

/**
 * One run of a job, as plain data: the only writer of its tools' progress, its events, failures
 * and tokens, and the source of what its queries and mirror writes show. No Temporal in here (the
 * workflow drives it; tests drive it directly). Stage changes, and the run's end, are what the
 * mirror follows: they set `unmirrored`; the other writers change state that the next write carries.
 */
export class JobState {
  readonly runNumber: number;
  /** idempotency keys of this run's writes: a retry must not find the failed run's drafts and tools */
  readonly workKey: string;
  private readonly tools: ToolProgress[];
  private readonly kept: Map<number, GeneratedToolRef>;
  private readonly takenNames: Set<string>;
  private readonly failures: ToolFailure[] = [];
  private readonly events: JobEvent[] = [];
  private jobStatus: WorkflowJobStatus = 'running';
  private currentToolIndex: number | null = null;
  private revision: number;
  private totalTokens = 0;
  private jobError: MirrorJobInput['error'] = null;
  /** set when the run completes, so the final mirror holds the whole answer and the API need not ask Temporal */
  private finalSummary: JobResult['summary'] | null = null;
  private changedSinceMirror = true;

  constructor(
    readonly input: JobInput,
    readonly jobId: string,
    readonly runId: string,
  ) {
    this.runNumber = input.previousRun?.runNumber ?? 0;
    this.workKey = this.runNumber === 0 ? jobId : `${jobId}~retry${this.runNumber}`;
    this.revision = this.runNumber * REVISIONS_PER_RUN;
    this.kept = new Map((input.previousRun?.keptTools ?? []).map((tool) => [tool.requirementIndex, tool]));
    this.tools = input.requirements.map((_, requirementIndex) => {
      const keptTool = this.kept.get(requirementIndex);
      return {
        requirementIndex,
        stage: keptTool ? 'completed' : 'pending',
        name: keptTool?.name ?? null,
        attempts: 0,
        toolId: keptTool?.toolId ?? null,
        error: null,
      };
    });
    this.takenNames = new Set<string>([...this.kept.values()].map((tool) => tool.name));
  }

  // ---- writers ----

  /** A tool moves to a stage: an event, and a change for the mirror. */
  startStage(index: number, stage: ToolStage): void {
    const tool = this.tools[index]!;
    tool.stage = stage;
    this.currentToolIndex = index;
    this.events.push({
      seq: this.events.length + 1,
      requirementIndex: index,
      toolName: tool.name,
      stage,
      attempts: tool.attempts,
    });
    this.changedSinceMirror = true;
  }

  /** The tool's implementation attempt `attempt` (1, then one more per repair) begins. */
  startAttempt(index: number, attempt: number): void {
    this.tools[index]!.attempts = attempt;
    this.startStage(index, 'implementing');
  }

  /** Function names are unique within a job: a second tool planned with a taken name gets a suffix. Returns the name claimed. */
  planned(index: number, functionName: string): string {
    let name = functionName;
    for (let suffix = 2; this.takenNames.has(name); suffix += 1) name = `${functionName}_${suffix}`;
    this.takenNames.add(name);
    this.tools[index]!.name = name;
    return name;
  }

  addTokens(tokens: number): void {
    this.totalTokens += tokens;
  }

  registered(index: number, toolId: string): void {
    this.tools[index]!.toolId = toolId;
  }

  /** The tool is failing: its error shows at once, while its last draft is still being kept. */
  failing(index: number, message: string): void {
    this.tools[index]!.error = message;
  }

  /** The tool failed; `toolId` is its kept failed draft, if there was one to keep. */
  failed(index: number, reason: { code: string; message: string; lastReply?: string }, toolId?: string): void {
    if (toolId !== undefined) this.tools[index]!.toolId = toolId;
    this.failures.push({
      requirementIndex: index,
      toolRequirement: this.requirement(index),
      code: reason.code,
      error: reason.message,
      ...(reason.lastReply === undefined ? {} : { lastReply: reason.lastReply }),
    });
    this.startStage(index, 'failed');
  }

  /** Earlier jobs' registered tools answer these requirements. */
  reused(refs: GeneratedToolRef[]): void {
    for (const ref of refs) {
      this.kept.set(ref.requirementIndex, ref);
      this.takenNames.add(ref.name);
      Object.assign(this.tools[ref.requirementIndex]!, { name: ref.name, toolId: ref.toolId, reused: true });
      this.startStage(ref.requirementIndex, 'completed');
    }
  }

  /** The job was cancelled: every tool not yet finished is cancelled with it. */
  cancelUnfinished(): void {
    this.jobStatus = 'cancelled';
    this.tools.forEach((tool, index) => {
      if (tool.stage === 'pending' || ACTIVE_STAGES.includes(tool.stage)) this.startStage(index, 'cancelled');
    });
    this.currentToolIndex = null;
    this.changedSinceMirror = true;
  }

  /** Every tool is settled (completed or failed): failures in requirement order, no current tool. */
  settled(): void {
    this.failures.sort((a, b) => a.requirementIndex - b.requirementIndex);
    this.currentToolIndex = null;
  }

  fail(error: { code: string; message: string }): void {
    this.jobStatus = 'failed';
    this.jobError = error;
    this.changedSinceMirror = true;
  }

  /** The run's answer: `tools` are the settled tools' refs, in requirement order. */
  complete(tools: GeneratedToolRef[]): JobResult {
    this.jobStatus = 'completed';
    this.finalSummary = {
      totalRequested: this.tools.length,
      successful: tools.length,
      failed: this.failures.length,
      totalTokens: this.totalTokens,
      reused: this.tools.filter((tool) => tool.reused).length,
    };
    this.changedSinceMirror = true;
    return { tools, failures: this.failures, summary: this.finalSummary };
  }

  /** The next mirror write, of the state as it is now; changes after this call wait for the one after. */
  takeMirrorWrite(): MirrorJobInput {
    this.changedSinceMirror = false;
    this.revision += 1;
    const { input } = this;
    return {
      jobId: this.jobId,
      sessionId: input.sessionId,
      tenantId: input.tenantId,
      reuseTools: input.options?.reuse ?? true,
      ...(input.options?.model === undefined ? {} : { model: input.options.model }),
      clientId: input.clientId,
      clientSessionId: input.clientSessionId,
      toolRequirements: this.revision === this.runNumber * REVISIONS_PER_RUN + 1 ? input.requirements : null,
      requestedAt: input.requestedAt,
      runNumber: this.runNumber,
      sessionStatus: this.sessionStatus(),
      jobStatus: this.jobStatus,
      progress: this.progress(),
      tools: this.tools,
      failures: this.failures,
      error: this.jobError,
      revision: this.revision,
      runId: this.runId,
      summary: this.finalSummary,
    };
  }

  // ---- views ----

  get status(): WorkflowJobStatus {
    return this.jobStatus;
  }

  /** a stage change (or the run's end) not yet in a mirror write */
  get unmirrored(): boolean {
    return this.changedSinceMirror;
  }

  requirement(index: number): ToolRequirement {
    return this.input.requirements[index]!;
  }

  /** the tool an earlier run made, or an earlier job's that this run reuses */
  keptTool(index: number): GeneratedToolRef | undefined {
    return this.kept.get(index);
  }

  /** requirements no tool answers yet */
  pendingRequirements(): number[] {
    return this.tools.filter((tool) => tool.stage === 'pending').map((tool) => tool.requirementIndex);
  }

  attemptsOf(index: number): number {
    return this.tools[index]!.attempts;
  }

  progress(): WorkflowJobProgress {
    const count = (stages: ToolStage[]) => this.tools.filter((tool) => stages.includes(tool.stage)).length;
    const current = this.currentToolIndex === null ? undefined : this.tools[this.currentToolIndex];
    return {
      total: this.tools.length,
      completed: count(['completed']),
      failed: count(['failed']),
      inProgress: count(ACTIVE_STAGES),
      currentTool: current && ACTIVE_STAGES.includes(current.stage) ? (current.name ?? null) : null,
    };
  }

  sessionStatus(): SessionStatus {
    if (this.jobStatus !== 'running') return this.jobStatus;
    const active = this.tools.filter((tool) => ACTIVE_STAGES.includes(tool.stage));
    if (active.length === 0) return 'pending';
    const rank = (stage: ToolStage) => {
      const index = SESSION_STAGE_ORDER.indexOf(stage as SessionStatus);
      return index === -1 ? SESSION_STAGE_ORDER.length - 1 : index;
    };
    return SESSION_STAGE_ORDER[Math.min(...active.map((tool) => rank(tool.stage)))] ?? 'executing';
  }

  /** what the progress query answers */
  progressView(): JobProgressView {
    return { status: this.jobStatus, progress: this.progress(), tools: this.tools };
  }

  /** what the events query answers: the events after `afterSeq` (0 for all) */
  eventsAfter(afterSeq: number): JobEventsView {
    return {
      runNumber: this.runNumber,
      status: this.jobStatus,
      progress: this.progress(),
      events: this.events.filter((event) => event.seq > afterSeq),
    };
  }

  /** the run's "current details" in the Web UI */
  details(): string {
    return describeTools(this.jobStatus, this.tools, this.input.requirements);
  }
}
