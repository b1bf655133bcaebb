/**
 * Each tool's way through the pipeline, as the job's event stream tells it: a `stage` event per
 * change, in order. The page keeps one row per requirement and shows where each tool is.
 */
import { toolEndStagesOffThePipeline, toolStages } from '../../contract/status-values';
import type { JobStageEvent, JobStatus, ToolStage } from './api-types';

/** The way a tool goes when all is well; `failed` and `cancelled` end it anywhere along it. */
export const PIPELINE: readonly ToolStage[] = toolStages.filter(
  (stage) => !(toolEndStagesOffThePipeline as readonly ToolStage[]).includes(stage),
);

/** What a person calls each stage (`executing` is validation: the code runs against its tests). */
export const STAGE_LABELS: Record<ToolStage, string> = {
  pending: 'waiting',
  planning: 'planning',
  searching: 'reading docs',
  implementing: 'implementing',
  executing: 'validating',
  registering: 'registering',
  completed: 'registered',
  failed: 'failed',
  cancelled: 'cancelled',
};

export interface ToolRow {
  requirementIndex: number;
  toolName: string | null;
  stage: ToolStage;
  attempts: number;
}

const waitingRow = (requirementIndex: number): ToolRow => ({
  requirementIndex,
  toolName: null,
  stage: 'pending',
  attempts: 0,
});

export function initialRows(total: number): ToolRow[] {
  return Array.from({ length: total }, (_, index) => waitingRow(index));
}

/** The rows after one event; an event for a requirement past the known ones makes room for it. */
export function applyStageEvent(rows: readonly ToolRow[], event: JobStageEvent): ToolRow[] {
  const next = [...rows];
  while (next.length <= event.requirementIndex) next.push(waitingRow(next.length));
  next[event.requirementIndex] = {
    requirementIndex: event.requirementIndex,
    toolName: event.toolName ?? next[event.requirementIndex]?.toolName ?? null,
    stage: event.stage,
    attempts: event.attempts,
  };
  return next;
}

export type StepState = 'done' | 'current' | 'upcoming';

/** Where each stage of the pipeline stands for a tool at `stage`. */
export function stepStates(stage: ToolStage): { stage: (typeof PIPELINE)[number]; state: StepState }[] {
  const reached = PIPELINE.indexOf(stage as (typeof PIPELINE)[number]);
  return PIPELINE.map((step, index) => ({
    stage: step,
    state: reached === -1 || index > reached ? 'upcoming' : index === reached ? 'current' : 'done',
  }));
}

export const ENDED_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export const hasEnded = (status: JobStatus): boolean => ENDED_JOB_STATUSES.includes(status);
