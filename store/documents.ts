import type { ObjectId } from 'mongodb';
import type {
  GenerationSummary,
  JobStatus,
  SessionStatus,
  ToolRequirement,
  TestCaseSource,
  ToolStage,
  ToolStatus,
} from '../contract';

/** MongoDB document shapes (snake_case, as the contract's collections section describes). */

/** the same three fields in MongoDB as over HTTP */
export type ToolRequirementDocument = ToolRequirement;

export type { JobStatus, SessionStatus, ToolStatus };

export interface ProgressDocument {
  total: number;
  completed: number;
  failed: number;
  in_progress: number;
  current_tool: string | null;
}

export interface ToolProgressDocument {
  requirement_index: number;
  stage: ToolStage;
  name: string | null;
  attempts: number;
  tool_id: string | null;
  error: string | null;
  /** an earlier job's registered tool answered the requirement (absent in sessions mirrored before reuse) */
  reused?: boolean;
}

export interface ToolFailureDocument {
  requirement_index: number;
  tool_requirement: ToolRequirementDocument;
  code: string;
  error: string;
  /** the start of the model's last unusable reply, when such a reply ended the tool */
  last_reply?: string;
}

export interface SessionDocument {
  _id: ObjectId;
  /** the client the job belongs to (absent in sessions mirrored before tenants: the default tenant's) */
  tenant_id?: string;
  /** the job's `options.reuse`, so a retry reuses (or not) as the job did */
  reuse_tools?: boolean;
  /** the job's `options.model`, so a retry asks the model the job did (absent: the configured ones) */
  model?: string;
  job_id: string;
  user_id: string | null;
  client_session_id: string | null;
  status: SessionStatus;
  job_status: JobStatus;
  tool_ids: ObjectId[];
  tool_requirements: ToolRequirementDocument[];
  progress: ProgressDocument;
  /** 0 for the job's first run, then one more per retry */
  run_number: number;
  /** each requirement's stage, for the per-tool status view */
  tool_progress: ToolProgressDocument[];
  failures: ToolFailureDocument[];
  error: { code: string; message: string } | null;
  /** the run that wrote this state (absent in sessions mirrored before it was recorded) */
  run_id?: string | null;
  /** a completed run's summary, exactly as the job answer shows it (absent before it was recorded) */
  summary?: GenerationSummary | null;
  /** increases with every mirrored state change, so a late, older write never overwrites a newer one */
  revision: number;
  created_at: Date;
  updated_at: Date;
}

export interface TestCaseDocument {
  input: Record<string, unknown>;
  /** absent when the test expects an exception (`raises`) */
  expected_output?: unknown;
  tolerance: number;
  /** client: one of the requirement's acceptance examples (absent in tools made before them: the model's) */
  source?: TestCaseSource;
  /** the exception the tool must raise for `input`: its class or a base class, by name */
  raises?: string;
  /** with `raises`: a substring of the exception's message */
  match?: string;
}

/** What a test expects: a return value, or an exception (with a substring of its message). */
export interface TestExpectationDocument {
  expected_output?: unknown;
  raises?: string;
  match?: string;
}

/** A repair's correction of a model-written test: which test, in which attempt, from what to what, and why. */
export interface TestCorrectionDocument {
  test: string;
  attempt: number;
  before: TestExpectationDocument;
  after: TestExpectationDocument;
  reason: string;
}

/** Model calls answered and their tokens, summed from `agent_sessions`. */
export interface ModelUsageDocument {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** a tool's: the models its calls asked, in the order first asked (absent before it was recorded) */
  models?: string[];
}

/** Until API keys name clients, every job, session and tool belongs to this one. */
export const DEFAULT_TENANT = 'default';

export interface ToolDocument {
  _id: ObjectId;
  /** the client the tool belongs to: names, versions and reuse are per tenant */
  tenant_id: string;
  name: string;
  /** 1, 2, … per (tenant, name), unique (an index): concurrent registrations get consecutive numbers */
  version: number;
  file_name: string;
  file_path: string;
  description: string;
  code: string;
  input_schema: Record<string, unknown>;
  output_schema: Record<string, unknown>;
  dependencies: string[];
  test_cases: TestCaseDocument[];
  status: ToolStatus;
  /** for a failed tool: what its last attempt got wrong */
  errors: string[];
  /** implementations after the first that validation sent back (absent in tools made before it was recorded) */
  repair_rounds?: number;
  /** the model calls made for the tool in the run that made it (absent in tools made before it was recorded) */
  model_usage?: ModelUsageDocument;
  /** the model-written tests its repairs corrected, each with its reason (absent: none were) */
  test_corrections?: TestCorrectionDocument[];
  deprecated_at?: Date;
  session_id: ObjectId;
  job_id: string;
  requirement_index: number;
  /** the requirement the tool was made for, and its folded form that reuse looks tools up by */
  requirement: ToolRequirementDocument;
  requirement_key: string;
  /** derived from the workflow id and the requirement index: a retried register finds its own earlier write */
  idempotency_key: string;
  created_at: Date;
  updated_at: Date;
}

export interface AgentSessionDocument {
  _id?: ObjectId;
  job_id: string;
  /** the workflow run that made the call (absent in calls recorded before it was) */
  run_id?: string | null;
  requirement_index: number | null;
  step: string;
  model: string;
  request: unknown;
  response: unknown;
  error: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  latency_ms: number;
  created_at: Date;
}
