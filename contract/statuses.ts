/** The schemas of the status and stage values (status-values.ts); the store and the workflows use these types. */
import { jobStatuses, sessionStatuses, toolStages, toolStatuses } from './status-values';
import { z } from './zod';

export * from './status-values';

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of: ${values.join(', ')}` });

export const jobStatusSchema = oneOf(jobStatuses).openapi('JobStatus');
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** a run that a worker has picked up is never `pending` again */
export type WorkflowJobStatus = Exclude<JobStatus, 'pending'>;

export const sessionStatusSchema = oneOf(sessionStatuses).openapi('SessionStatusValue', {
  description: '`executing` is validation: the generated code runs against its test cases',
});
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

export const toolStageSchema = oneOf(toolStages).openapi('ToolStage');
export type ToolStage = z.infer<typeof toolStageSchema>;

export const toolStatusSchema = oneOf(toolStatuses).openapi('ToolStatus', {
  description: 'draft → registered → deprecated; failed: never passed validation',
});
export type ToolStatus = z.infer<typeof toolStatusSchema>;
