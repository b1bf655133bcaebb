import { z } from './zod';

/** Every status and stage value of the contract, defined once; the store and the workflows use these types. */

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of: ${values.join(', ')}` });

export const jobStatuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export const jobStatusSchema = oneOf(jobStatuses).openapi('JobStatus');
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** a job in one of these has ended: nothing changes it but a retry */
export const endedJobStatuses = ['completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];

/** a run that a worker has picked up is never `pending` again */
export type WorkflowJobStatus = Exclude<JobStatus, 'pending'>;

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
export const sessionStatusSchema = oneOf(sessionStatuses).openapi('SessionStatusValue', {
  description: '`executing` is validation: the generated code runs against its test cases',
});
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

/** One tool's stage: the session's stages plus `registering`. */
export const toolStages = [
  'pending',
  'planning',
  'searching',
  'implementing',
  'executing',
  'registering',
  'completed',
  'failed',
  'cancelled',
] as const;
export const toolStageSchema = oneOf(toolStages).openapi('ToolStage');
export type ToolStage = z.infer<typeof toolStageSchema>;

export const toolStatuses = ['draft', 'registered', 'deprecated', 'failed'] as const;
export const toolStatusSchema = oneOf(toolStatuses).openapi('ToolStatus', {
  description: 'draft → registered → deprecated; failed: never passed validation',
});
export type ToolStatus = z.infer<typeof toolStatusSchema>;
