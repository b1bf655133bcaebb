import type { JobProgress as JobProgressAnswer, JobStageEvent, ToolRequirement } from './jobs';
import type { ToolStage, WorkflowJobStatus } from './statuses';

/**
 * The job workflow's messages: its input, its result, and what its queries answer. Plain types
 * (the workflow, its activities and the API all speak them), beside the shapes of the HTTP contract
 * they are turned into; the queries themselves are defined beside the workflow (workflows/definitions.ts).
 */

export interface JobInput {
  jobId: string;
  /** the client the job belongs to; absent in jobs started before tenants existed (the default tenant's) */
  tenantId?: string;
  /** hex ObjectId of the job's session document, chosen by the API so retries mirror into one document */
  sessionId: string;
  requirements: ToolRequirement[];
  clientId: string | null;
  clientSessionId: string | null;
  /** ISO time the client's request was accepted: the job's and its session's createdAt */
  requestedAt: string;
  settings: GenerationSettings;
  /** on a retry: which run this is (1 for the first retry) and the tools earlier runs already made */
  previousRun: { runNumber: number; keptTools: GeneratedToolRef[] } | null;
  /** absent in jobs started before options existed: reuse on */
  options?: JobOptions;
}

export interface JobOptions {
  /** answer a requirement equal to a registered tool's with that tool, without the model */
  reuse: boolean;
  /** the model the job's plans and implementations ask (the request's `options.model`); absent: the worker's configured ones */
  model?: string;
}

export interface GenerationSettings {
  /** repairs after the first implementation; each is one more implement + validate */
  maxRepairRounds: number;
  /** a tool still unfinished after this long fails with GENERATION_TIMEOUT */
  toolDeadlineMs: number;
  /**
   * the start-to-close timeout of each attempt of an LLM activity (plan, implement): the longest
   * one gateway call can take, re-asks included, as the API computed it from the LLM settings;
   * absent in jobs started before it was (workflows/activity-options.ts's LLM_CALL_TIMEOUT then)
   */
  llmCallTimeoutMs?: number;
}

export interface ToolProgress {
  requirementIndex: number;
  stage: ToolStage;
  name: string | null;
  /** implementation attempts so far: 1, then one more per repair */
  attempts: number;
  toolId: string | null;
  error: string | null;
  /** an earlier job's registered tool answered this requirement */
  reused?: boolean;
}

/** the workflow always knows its current tool, or that there is none */
export type WorkflowJobProgress = Required<JobProgressAnswer>;

export interface JobProgressView {
  status: WorkflowJobStatus;
  progress: WorkflowJobProgress;
  tools: ToolProgress[];
}

export interface GeneratedToolRef {
  requirementIndex: number;
  toolId: string;
  name: string;
}

export interface ToolFailure {
  requirementIndex: number;
  toolRequirement: ToolRequirement;
  code: string;
  error: string;
  /** the model's last unusable reply (its start), when an unusable reply is what ended the tool */
  lastReply?: string;
}

export interface JobResult {
  tools: GeneratedToolRef[];
  failures: ToolFailure[];
  summary: { totalRequested: number; successful: number; failed: number; totalTokens: number; reused?: number };
}

/** One tool's stage change; `seq` orders them within a run, for Server-Sent Events and their resumption. */
export type JobEvent = Omit<JobStageEvent, 'jobId'>;

export interface JobEventsView {
  runNumber: number;
  status: WorkflowJobStatus;
  progress: WorkflowJobProgress;
  events: JobEvent[];
}
