/**
 * Every status and stage value of the contract, defined once. Plain lists, without zod, so the web
 * console's bundle can use them as well as the schemas in statuses.ts.
 */
export const jobStatuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;

/** a job in one of these has ended: nothing changes it but a retry */
export const endedJobStatuses = [
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly (typeof jobStatuses)[number][];

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

/** One tool's stage: the session's stages plus `registering`, in the order a tool goes through them. */
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

/** where a tool's way ends other than `completed`: anywhere along it */
export const toolEndStagesOffThePipeline = [
  'failed',
  'cancelled',
] as const satisfies readonly (typeof toolStages)[number][];

export const toolStatuses = ['draft', 'registered', 'deprecated', 'failed'] as const;
