import { clientLabelSchema, countSchema, isoDateSchema, pageOf } from './common';
import { jobErrorSchema, jobProgressSchema, toolGenerationFailureShape, toolRequirementSchema } from './jobs';
import { jobStatusSchema, sessionStatusSchema, toolStageSchema } from './statuses';
import { toolDetailsSchema } from './tools';
import { z } from './zod';

/** The session endpoints (Part A): each job's session, as mirrored into MongoDB. */

export const sessionIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, 'must be a session id: 24 hexadecimal characters (the MongoDB ObjectId)');

export const sessionIdParamsSchema = z.object({ session_id: sessionIdSchema });
export const sessionUserParamsSchema = z.object({
  user_id: clientLabelSchema.describe("the jobs' metadata.clientId"),
});
export const sessionStatusParamsSchema = z.object({ status_value: sessionStatusSchema });

export const toolProgressSchema = z
  .strictObject({
    requirementIndex: countSchema,
    name: z.string().nullable().describe('the planned function name, once planned'),
    stage: toolStageSchema,
    attempts: countSchema.describe('implementation attempts so far (1 + repairs)'),
    toolId: z.string().nullable(),
    error: z.string().nullable(),
    reused: z.boolean().describe('an earlier job’s registered tool answered this requirement'),
  })
  .openapi('ToolProgress');
export type ToolProgressView = z.infer<typeof toolProgressSchema>;

export const sessionFailureSchema = toolGenerationFailureShape
  .extend({ requirementIndex: countSchema, code: z.string() })
  .openapi('SessionFailure');

const sessionShape = z.strictObject({
  sessionId: z.string().describe('MongoDB ObjectId, 24 hex characters'),
  jobId: z.string(),
  userId: z.string().nullable().describe("the job's metadata.clientId"),
  clientSessionId: z.string().nullable().describe("the job's metadata.sessionId"),
  status: sessionStatusSchema,
  jobStatus: jobStatusSchema,
  toolIds: z.array(z.string()),
  toolRequirements: z.array(toolRequirementSchema),
  progress: jobProgressSchema,
  toolProgress: z.array(toolProgressSchema),
  failures: z.array(sessionFailureSchema),
  // not .nullable(): the generator makes that allOf [$ref, object|null], which null cannot pass
  error: z.union([jobErrorSchema, z.null()]),
  createdAt: isoDateSchema,
  updatedAt: isoDateSchema,
});
export const sessionSchema = sessionShape.openapi('Session');
export type SessionView = z.infer<typeof sessionSchema>;

export const sessionPageSchema = pageOf('sessions', sessionSchema).openapi('SessionPage');
export type SessionPage = z.infer<typeof sessionPageSchema>;

export const sessionStatusViewSchema = sessionShape
  .pick({ sessionId: true, jobId: true, status: true, jobStatus: true, progress: true, updatedAt: true })
  .extend({ tools: z.array(toolProgressSchema).describe("each requirement's progress") })
  .openapi('SessionStatus');
export type SessionStatusView = z.infer<typeof sessionStatusViewSchema>;

/** A session's tools: what it generated (registered or failed) and what it reused. */
export const sessionToolsSchema = z
  .strictObject({
    sessionId: z.string(),
    tools: z.array(toolDetailsSchema.extend({ registered: z.boolean().describe('status is registered') })),
  })
  .openapi('SessionTools');
export type SessionToolsView = z.infer<typeof sessionToolsSchema>;
