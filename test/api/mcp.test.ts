import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ToolsmithApi } from '../../cli/api-client';
import { molecularWeightScript } from '../../dev/canned-tools';
import { asClient, postJson } from '../../dev/http';
import { makeMolecularWeightTool, misbehavingTools, registerHandMadeTool } from '../../dev/registered-tools';
import { useTestStack } from '../../dev/stack';

const ETHANOL_WEIGHT = 46.07;
const MOLECULAR_WEIGHT = 'calculate_molecular_weight';
const REPOSITORY = path.resolve(__dirname, '../..');
/** what `npx toolsmith` runs */
const ENTRY = path.join(REPOSITORY, 'cli/toolsmith.js');

/** A tool whose output is not an object: MCP's 2025 revisions need it wrapped, 2026-07-28 does not. */
const countsAtoms = {
  name: 'count_heavy_atoms',
  code:
    'def count_heavy_atoms(smiles: str) -> int:\n' +
    '    from rdkit import Chem\n' +
    '    return Chem.MolFromSmiles(smiles).GetNumHeavyAtoms()\n',
  inputSchema: { type: 'object', properties: { smiles: { type: 'string' } }, required: ['smiles'] },
  outputSchema: { type: 'integer' },
};

type Era = 'legacy' | 'modern';

async function connectedClient(transport: Transport, era: Era = 'legacy'): Promise<Client> {
  const client = new Client(
    { name: 'toolsmith-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(transport);
  return client;
}

function textOf(result: { content: unknown }): string {
  const [block] = result.content as { type: string; text: string }[];
  assert.equal(block?.type, 'text');
  return block.text;
}

async function assertCallsEthanol(client: Client): Promise<void> {
  const result = await client.callTool({ name: MOLECULAR_WEIGHT, arguments: { smiles: 'CCO' } });
  assert.ok(!result.isError, JSON.stringify(result));
  const structured = result.structuredContent as { molecular_weight: number };
  assert.ok(Math.abs(structured.molecular_weight - ETHANOL_WEIGHT) < 0.01, JSON.stringify(structured));
  assert.deepEqual(JSON.parse(textOf(result)), structured, 'the same JSON as a text block');
}

async function assertListsMolecularWeight(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  const tool = tools.find((listed) => listed.name === MOLECULAR_WEIGHT);
  assert.ok(tool, `listed: ${tools.map((listed) => listed.name).join(', ')}`);
  assert.match(tool.description ?? '', /molecular weight/i);
  assert.deepEqual(tool.inputSchema, {
    type: 'object',
    properties: { smiles: { type: 'string' } },
    required: ['smiles'],
  });
  assert.deepEqual(tool.outputSchema, {
    type: 'object',
    properties: { molecular_weight: { type: 'number' } },
    required: ['molecular_weight'],
  });
}

describe('the registered tools as an MCP server: streamable HTTP at /mcp, and stdio', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  let mcpUrl: URL;
  let toolId: string;
  const clients: Client[] = [];

  async function httpClient(era: Era = 'legacy'): Promise<Client> {
    const client = await connectedClient(
      new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: asClient(stack().apiKey) } }),
      era,
    );
    clients.push(client);
    return client;
  }

  before(async () => {
    mcpUrl = new URL('/mcp', stack().apiUrl);
    toolId = await makeMolecularWeightTool(stack());
    await registerHandMadeTool(stack(), misbehavingTools.raises);
    await registerHandMadeTool(stack(), countsAtoms);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  for (const era of ['legacy', 'modern'] as const) {
    describe(`over streamable HTTP, ${era === 'legacy' ? 'a 2025-era client' : 'a 2026-07-28 client'}`, () => {
      it('lists the tool with its input and output schemas', async () => {
        await assertListsMolecularWeight(await httpClient(era));
      });

      it('calls it: structuredContent and the same JSON as text', async () => {
        await assertCallsEthanol(await httpClient(era));
      });

      it('answers a tool that raises, or arguments its schema refuses, with an isError result', async () => {
        const client = await httpClient(era);
        const invalid = await client.callTool({ name: MOLECULAR_WEIGHT, arguments: { smiles: 'xyz' } });
        assert.equal(invalid.isError, true);
        assert.match(textOf(invalid), /^ValueError: Invalid SMILES string: xyz$/);
        const raised = await client.callTool({ name: 'refuse_everything', arguments: { reason: 'mcp' } });
        assert.equal(raised.isError, true);
        assert.equal(textOf(raised), 'RuntimeError: refusing: mcp');
        const wrongType = await client.callTool({ name: MOLECULAR_WEIGHT, arguments: { smiles: 42 } });
        assert.equal(wrongType.isError, true);
        assert.match(textOf(wrongType), /arguments\.smiles must be string/);
      });

      it('answers an unknown tool with a protocol error (invalid params)', async () => {
        const client = await httpClient(era);
        await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (error: any) => {
          assert.equal(error.code, -32602);
          assert.match(error.message, /no registered tool named "no_such_tool"/);
          return true;
        });
      });
    });
  }

  describe('an output schema that is not an object', () => {
    it('gives a non-object output as it is to a 2026-07-28 client, wrapped as { result } for a 2025-era one', async () => {
      const modern = await httpClient('modern');
      const modernListed = (await modern.listTools()).tools.find((tool) => tool.name === countsAtoms.name);
      assert.deepEqual(modernListed?.outputSchema, { type: 'integer' });
      const modernCall = await modern.callTool({ name: countsAtoms.name, arguments: { smiles: 'CCO' } });
      assert.equal(modernCall.structuredContent, 3);
      assert.equal(textOf(modernCall), '3');

      const legacy = await httpClient('legacy');
      const legacyListed = (await legacy.listTools()).tools.find((tool) => tool.name === countsAtoms.name);
      assert.deepEqual(legacyListed?.outputSchema, {
        type: 'object',
        properties: { result: { type: 'integer' } },
        required: ['result'],
      });
      const legacyCall = await legacy.callTool({ name: countsAtoms.name, arguments: { smiles: 'CCO' } });
      assert.deepEqual(legacyCall.structuredContent, { result: 3 });
      assert.equal(textOf(legacyCall), '3');
    });
  });

  describe('DNS-rebinding protection', () => {
    it('refuses browser requests from other sites and foreign Host names', async () => {
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'page', version: '1' } },
      };
      // node:http rather than fetch, which would not send a Host header of the caller's choosing.
      const post = (headers: Record<string, string>) =>
        new Promise<number | undefined>((resolve, reject) => {
          const sent = httpRequest(
            mcpUrl,
            {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
                ...asClient(stack().apiKey),
                ...headers,
              },
            },
            (response) => {
              response.resume();
              resolve(response.statusCode);
            },
          );
          sent.on('error', reject);
          sent.end(JSON.stringify(initialize));
        });
      assert.equal(await post({ origin: 'http://evil.example' }), 403);
      assert.equal(await post({ host: `evil.example:${mcpUrl.port}` }), 403);
      assert.equal(await post({ origin: `http://localhost:${mcpUrl.port}` }), 200);
    });
  });

  describe('over stdio: npx toolsmith mcp --api <url>', () => {
    it('lists and calls the tools through the HTTP API', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [ENTRY, 'mcp', '--api', stack().apiUrl],
        cwd: REPOSITORY,
        env: { TOOLSMITH_API_KEY: stack().apiKey },
        stderr: 'pipe',
      });
      const client = await connectedClient(transport);
      clients.push(client);
      await assertListsMolecularWeight(client);
      await assertCallsEthanol(client);
      const invalid = await client.callTool({ name: MOLECULAR_WEIGHT, arguments: { smiles: 'xyz' } });
      assert.equal(invalid.isError, true);
      assert.match(textOf(invalid), /^ValueError: Invalid SMILES string/);
    });

    it('writes nothing but JSON-RPC to stdout, and exits when the client closes stdin', async () => {
      const server = spawn(process.execPath, [ENTRY, 'mcp', '--api', stack().apiUrl], {
        cwd: REPOSITORY,
        env: { ...process.env, TOOLSMITH_API_KEY: stack().apiKey },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      const lines = createInterface({ input: server.stdout });
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      };
      server.stdin.write(`${JSON.stringify(initialize)}\n`);
      server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
      const replies: any[] = [];
      for await (const line of lines) {
        replies.push(JSON.parse(line));
        if (replies.length === 2) break;
      }
      server.stdin.end();
      assert.deepEqual(
        replies.map((reply) => [reply.jsonrpc, reply.id]),
        [
          ['2.0', 1],
          ['2.0', 2],
        ],
      );
      assert.equal(replies[0].result.serverInfo.name, 'toolsmith');
      assert.ok(replies[1].result.tools.some((tool: any) => tool.name === MOLECULAR_WEIGHT));
      assert.equal(await exited, 0);
    });

    it('sends TOOLSMITH_API_KEY as a bearer key to the API', async () => {
      const seen: IncomingHttpHeaders[] = [];
      const recorder = createServer((req, res) => {
        seen.push(req.headers);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ functions: [] }));
      });
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = recorder.address() as AddressInfo;
        await new ToolsmithApi(`http://127.0.0.1:${port}/api/v1`, 'secret-key').listFunctions();
        await new ToolsmithApi(`http://127.0.0.1:${port}/api/v1`).listFunctions();
        assert.deepEqual(
          seen.map((headers) => headers.authorization),
          ['Bearer secret-key', undefined],
        );
      } finally {
        recorder.close();
      }
    });
  });

  // Last: it takes the molecular-weight tool away from the suites above.
  describe('deprecation', () => {
    it('takes a deprecated tool off the list', async () => {
      const deprecated = await postJson(`${stack().apiUrl}/tools/${toolId}/deprecate`, {});
      assert.equal(deprecated.status, 200, JSON.stringify(deprecated.body));
      const client = await httpClient();
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(!names.includes(MOLECULAR_WEIGHT), names.join(', '));
      assert.ok(names.includes('refuse_everything'));
      await assert.rejects(client.callTool({ name: MOLECULAR_WEIGHT, arguments: { smiles: 'CCO' } }));
    });
  });
});
