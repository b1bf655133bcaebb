import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { version } from '../../package.json';
import { createToolsmithMcpServer } from '../../executor/mcp-server';
import type { ToolsmithApi } from '../api-client';
import { remoteToolSource } from '../remote-tool-source';

/** stdout carries the JSON-RPC stream alone: anything that logs (ours or a library's) goes to stderr. */
function keepStdoutForMcp(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
}

/**
 * Serves the service's registered tools over MCP's stdio transport, for desktop MCP clients, until
 * the client closes stdin. Every list and call goes to the HTTP API, so the tools follow
 * registration and deprecation as /mcp does.
 */
export async function mcpCommand(api: ToolsmithApi): Promise<number> {
  keepStdoutForMcp();
  const source = remoteToolSource(api);
  const connection = serveStdio(() => createToolsmithMcpServer(source, version), {
    onerror: (error) => process.stderr.write(`toolsmith mcp: ${error.message}\n`),
  });
  process.stderr.write(`toolsmith mcp: serving the tools of ${api.baseUrl} over stdio\n`);
  await new Promise<void>((resolve) => process.stdin.once('close', resolve));
  await connection.close();
  return 0;
}
