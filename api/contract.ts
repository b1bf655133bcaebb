/**
 * The HTTP contract: every request and response body, parameter and status as a zod schema, in
 * api/contract/*. The TypeScript types the routes answer with are inferred from these schemas, and
 * the OpenAPI document (api/openapi.ts) is generated from them, so neither can drift from the other.
 */
export * from './contract/common';
export * from './contract/errors';
export * from './contract/jobs';
export * from './contract/operations';
export * from './contract/sessions';
export * from './contract/statuses';
export * from './contract/tools';
