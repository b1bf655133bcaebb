import { defineQuery } from '@temporalio/workflow';

/** The job's messages and data shapes, beside the workflow that answers them. */

export interface ToolRequirement {
  description: string;
  input: string;
  output: string;
}

export interface JobInput {
  jobId: string;
  /** hex ObjectId of the job's session document, chosen by the API so retries mirror into one document */
  sessionId: string;
  requirements: ToolRequirement[];
  clientId: string | null;
  clientSessionId: string | null;
  /** ISO time the client's request was accepted: the job's and its session's createdAt */
  requestedAt: string;
  settings: GenerationSettings;
}

export interface GenerationSettings {
  /** repairs after the first implementation; each is one more implement + validate */
  maxRepairRounds: number;
  /** a tool still unfinished after this long fails with GENERATION_TIMEOUT */
  toolDeadlineMs: number;
}

export type ToolStage =
  'pending' | 'planning' | 'searching' | 'implementing' | 'executing' | 'registering' | 'completed' | 'failed';

export interface ToolProgress {
  requirementIndex: number;
  stage: ToolStage;
  name: string | null;
  /** implementation attempts so far: 1, then one more per repair */
  attempts: number;
  toolId: string | null;
  error: string | null;
}

export type WorkflowJobStatus = 'running' | 'completed' | 'failed';

export interface JobProgress {
  total: number;
  completed: number;
  failed: number;
  inProgress: number;
  currentTool: string | null;
}

export interface JobProgressView {
  status: WorkflowJobStatus;
  progress: JobProgress;
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
}

export interface JobResult {
  tools: GeneratedToolRef[];
  failures: ToolFailure[];
  summary: { totalRequested: number; successful: number; failed: number; totalTokens: number };
}

export const progressQuery = defineQuery<JobProgressView>('progress');
