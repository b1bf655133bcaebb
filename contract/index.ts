/**
 * The shared vocabulary, at the bottom of the layers: every request, response and document shape
 * as a zod schema, the status and stage lists, the error codes and the domain errors, the OpenAI
 * function-name rules. It imports nothing of ours. The TypeScript types the routes answer with are
 * inferred from these schemas, and the OpenAPI document (api/openapi.ts) is generated from them, so
 * neither can drift from the other.
 */
export * from './common';
export * from './doc-snippets';
export * from './error-response';
export * from './event-stream';
export * from './errors';
export * from './job-workflow';
export * from './jobs';
export * from './openai-functions';
export * from './operations';
export * from './python-names';
export * from './sessions';
export * from './statuses';
export * from './tool-plan';
export * from './tools';
export * from './validation';
