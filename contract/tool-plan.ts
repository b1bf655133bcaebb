import { z } from './zod';

/**
 * The planner's answer, carried by the job workflow from the plan stage to the others: a strict
 * object with every field required, so its JSON Schema is accepted as OpenAI's strict
 * `response_format`.
 */

const pythonIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,63}$/, 'must be a snake_case Python identifier (lower case letters, digits, _)');

export const toolPlanSchema = z.strictObject({
  functionName: pythonIdentifier,
  summary: z.string().min(1),
  parameters: z
    .array(z.strictObject({ name: pythonIdentifier, type: z.string().min(1), description: z.string() }))
    .min(1),
  returns: z.strictObject({ type: z.string().min(1), description: z.string() }),
  dependencies: z.array(z.string().min(1)),
  docQueries: z.array(z.string().min(1)).max(12),
});
export type ToolPlan = z.infer<typeof toolPlanSchema>;
