import { errorCodes } from './errors';
import { isoDateSchema } from './common';
import { z } from './zod';

/** The body of every non-2xx answer of the API's own routes (Part A, "Errors"). */
export const errorResponseSchema = z
  .strictObject({
    error: z.string().describe('a sentence a person can act on'),
    code: z.enum(errorCodes),
    details: z.unknown().optional().describe('e.g. { fields: [{ field, message }] }: what to fix, field by field'),
    timestamp: isoDateSchema,
    jobId: z.string().optional(),
    requestId: z.string().optional().describe('also sent as the X-Request-Id header'),
  })
  .openapi('ErrorResponse');
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
