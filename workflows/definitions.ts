import { defineQuery } from '@temporalio/workflow';
import type { JobEventsView, JobProgressView } from '../contract';

/** The job workflow's queries, beside the workflow that answers them; the shapes they answer are the contract's. */

export type {
  GeneratedToolRef,
  GenerationSettings,
  JobEvent,
  JobEventsView,
  JobInput,
  JobOptions,
  WorkflowJobProgress as JobProgress,
  JobProgressView,
  JobResult,
  ToolFailure,
  ToolProgress,
  ToolRequirement,
  ToolStage,
  WorkflowJobStatus,
} from '../contract';

export const progressQuery = defineQuery<JobProgressView>('progress');
/** the events after the given `seq` (0 for all) */
export const eventsQuery = defineQuery<JobEventsView, [number]>('events');
