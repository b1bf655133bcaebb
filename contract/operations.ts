import { isoDateSchema } from './common';
import { z } from './zod';

/** What the service says about itself: health, and the MCP endpoint's JSON-RPC, loosely. */

const connection = z.enum(['connected', 'disconnected']);

export const healthResponseSchema = z
  .strictObject({
    status: z.enum(['healthy', 'unhealthy']).describe('unhealthy answers with HTTP 503'),
    timestamp: isoDateSchema,
    version: z.string().describe('the package version'),
    database: connection,
    temporal: connection,
  })
  .openapi('HealthResponse');
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/**
 * One JSON-RPC 2.0 message, loosely: MCP's own schemas (in its SDK) say what each method takes;
 * this only says what every message has.
 */
export const jsonRpcMessageSchema = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]).optional(),
    method: z.string().optional(),
    params: z.unknown().optional(),
    result: z.unknown().optional(),
    error: z.looseObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .openapi('JsonRpcMessage');

export const jsonRpcBodySchema = z.union([jsonRpcMessageSchema, z.array(jsonRpcMessageSchema)]);

/** What the docs page loads from the bundled swagger-ui, and nothing else of that package. */
export const docsAssets = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;
export const docsAssetParamsSchema = z.object({ asset: z.enum(docsAssets) });

/** The web console's two files, bundled from web/ when first asked for (api/console-bundle.ts). */
export const consoleAssets = ['console.js', 'console.css'] as const;
export type ConsoleAsset = (typeof consoleAssets)[number];
export const consoleAssetParamsSchema = z.object({ asset: z.enum(consoleAssets) });
