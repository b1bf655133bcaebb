import { z } from 'zod';

/** The HTTP contract (Part A of the spec) as zod schemas and TypeScript types. */

export const MAX_REQUIREMENTS_PER_JOB = 50;
export const MAX_DESCRIPTION_CHARS = 10_000;
export const MAX_IO_DESCRIPTION_CHARS = 4_000;
export const MAX_METADATA_CHARS = 200;

function requiredText(maxChars: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`);
}

function optionalText(maxChars: number) {
  return z.string({ error: 'must be a string' }).max(maxChars, `must be at most ${maxChars} characters`).optional();
}

export const toolRequirementSchema = z.object(
  {
    description: requiredText(MAX_DESCRIPTION_CHARS),
    input: requiredText(MAX_IO_DESCRIPTION_CHARS),
    output: requiredText(MAX_IO_DESCRIPTION_CHARS),
  },
  { error: 'must be an object with description, input and output' },
);

export const toolGenerationRequestSchema = z.object(
  {
    toolRequirements: z
      .array(toolRequirementSchema, {
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of tool requirements'),
      })
      .min(1, 'must contain at least one requirement')
      .max(MAX_REQUIREMENTS_PER_JOB, `must contain at most ${MAX_REQUIREMENTS_PER_JOB} requirements`),
    metadata: z
      .object(
        { sessionId: optionalText(MAX_METADATA_CHARS), clientId: optionalText(MAX_METADATA_CHARS) },
        { error: 'must be an object' },
      )
      .optional(),
  },
  { error: 'the request body must be a JSON object' },
);

export type ToolGenerationRequest = z.infer<typeof toolGenerationRequestSchema>;

export const jobIdSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"');

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobProgress {
  total: number;
  completed: number;
  failed: number;
  inProgress: number;
  currentTool?: string | null;
}

export interface ToolFile {
  toolId: string;
  fileName: string;
  filePath: string;
  description: string;
  code: string;
  endpoint?: string | null;
  registered: boolean;
  createdAt: string;
}

export interface ToolGenerationFailure {
  toolRequirement: { description: string; input: string; output: string };
  error: string;
  code?: string;
}

export interface GenerationSummary {
  totalRequested: number;
  successful: number;
  failed: number;
  totalTokens?: number;
}

export interface JobResponse {
  jobId: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  progress: JobProgress;
  toolFiles?: ToolFile[];
  failures?: ToolGenerationFailure[];
  summary?: GenerationSummary;
  error?: { code: string; message: string };
  temporal: { workflowId: string; runId: string | null; uiUrl: string };
}

export interface HealthResponse {
  status: 'healthy' | 'unhealthy';
  timestamp: string;
  version: string;
  database: 'connected' | 'disconnected';
  temporal: 'connected' | 'disconnected';
}

export const sessionStatuses = [
  'pending',
  'planning',
  'searching',
  'implementing',
  'executing',
  'completed',
  'failed',
  'cancelled',
] as const;
export const sessionStatusSchema = z.enum(sessionStatuses, { error: `must be one of: ${sessionStatuses.join(', ')}` });
