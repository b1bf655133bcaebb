import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/express';
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import { Router, type RequestHandler } from 'express';
import { directToolSource } from '../../executor/direct-tool-source';
import type { ToolExecutor } from '../../executor/executor';
import { createToolsmithMcpServer } from '../../executor/mcp-server';
import type { ToolStore } from '../../store/tools';
import { clientGoneSignal } from '../client-gone';
import { sendWebResponse, toWebRequest } from '../fetch-bridge';
import { tenantOf } from '../tenant';

export interface McpRouteDependencies {
  tools: ToolStore;
  executor: ToolExecutor;
  version: string;
  bodyLimitBytes: number;
  /** the address the service listens on: decides whether the Host header can be checked */
  listenHost: string;
}

const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * DNS-rebinding and cross-site protection. A browser always sends `Origin` with a POST; a page on
 * another site (including one whose name was rebound to this address) is refused, and so only
 * local pages may call /mcp from a browser. Desktop and server MCP clients send no Origin and
 * pass. The Host header is checked as well when the service listens on loopback only; bound to
 * 0.0.0.0 (the default) it is reached under names it cannot know, and the Origin check is the
 * protection.
 */
export function mcpRequestGuards(listenHost: string): RequestHandler[] {
  const origins = originValidation(LOCALHOST_NAMES);
  return LOOPBACK_HOSTS.has(listenHost) ? [hostHeaderValidation(LOCALHOST_NAMES), origins] : [origins];
}

/**
 * The tenant a request acts for, handed to the server factory the way the SDK passes a principal
 * through (there is no MCP token of its own: the API's own key names the tenant).
 */
function principalOf(tenant: string): AuthInfo {
  return { token: '', clientId: tenant, scopes: [] };
}

/**
 * The registered tools over MCP's streamable HTTP, stateless: every request gets a fresh server
 * from the factory (the SDK's createMcpHandler, which serves both the 2026-07-28 revision and,
 * statelessly, 2025-era clients), so nothing is kept between requests and any API process can
 * answer any request. Mounted at /mcp before the JSON body parser: the SDK reads the body itself
 * (415 for a non-JSON body, 413 over the limit, JSON-RPC errors for malformed JSON).
 */
export function mcpRouter(dependencies: McpRouteDependencies): Router {
  const { tools, executor, version } = dependencies;
  const handler = createMcpHandler(
    ({ authInfo }) => {
      if (!authInfo?.clientId) throw new Error('an MCP request reached the server factory without its tenant');
      return createToolsmithMcpServer(directToolSource({ tools, executor, tenant: authInfo.clientId }), version);
    },
    {
      maxRequestBodySize: dependencies.bodyLimitBytes,
      onerror: (error) => console.error(`[api] mcp: ${error.message}`),
    },
  );

  const answerWithSdk: RequestHandler = async (req, res) => {
    const clientGone = clientGoneSignal(res);
    const response = await handler.fetch(toWebRequest(req, clientGone), { authInfo: principalOf(tenantOf(res)) });
    await sendWebResponse(response, res, clientGone);
  };
  const router = Router();
  router.use(mcpRequestGuards(dependencies.listenHost));
  // Only the documented methods reach the SDK: a web Request cannot even be built for TRACE or
  // CONNECT (a 500 before), and every other method is answered like any route the document lacks.
  router.route('/').post(answerWithSdk).get(answerWithSdk).delete(answerWithSdk);
  return router;
}
