import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ObjectId } from 'mongodb';
import { KEY_CACHE_TTL_MS } from '../../api/auth';
import { DEV_CLIENT_ID, ensureDevApiKey } from '../../infra/dev-api-key';
import { assertErrorResponse } from '../helpers/assertions';
import { MOLECULAR_WEIGHT, runOwnJob, SHARED_LABEL, type OwnJob } from '../helpers/clients';
import { molecularWeightScript } from '../../dev/canned-tools';
import { asClient, pollUntil, request, type HttpAnswer } from '../../dev/http';
import { useTestStack, type TestStack } from '../../dev/stack';

const CLI = path.resolve(__dirname, '../../cli/toolsmith.js');

const runCli = promisify(execFile);

/** The real `toolsmith` CLI against the stack's MongoDB; never throws, answers the exit code and output. */
async function keysCli(stack: TestStack, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    MONGODB_URL: stack.serviceEnv.MONGODB_URL,
    MONGODB_DB_NAME: stack.serviceEnv.MONGODB_DB_NAME,
  };
  try {
    const { stdout, stderr } = await runCli(process.execPath, [CLI, 'keys', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function assertUnauthorized(answer: HttpAnswer, sentKey: string | undefined, what: string): void {
  assertErrorResponse(answer, 401, 'UNAUTHORIZED');
  assert.match(answer.body.error, /Authorization: Bearer <key>/, what);
  assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="toolsmith"', what);
  if (sentKey) assert.ok(!JSON.stringify(answer.body).includes(sentKey), `${what}: the key is not echoed`);
}

describe('API keys', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  let mine: OwnJob;

  const api = () => stack().apiUrl;

  before(async () => {
    mine = await runOwnJob(stack());
  });

  /** Every protected route, with ids that exist (the stack client's own). */
  const protectedRoutes = (): [string, string][] => [
    ['GET', `/api/v1/jobs`],
    ['POST', `/api/v1/jobs`],
    ['GET', `/api/v1/jobs/${mine.job.jobId}`],
    ['POST', `/api/v1/jobs/${mine.job.jobId}/cancel`],
    ['POST', `/api/v1/jobs/${mine.job.jobId}/retry`],
    ['GET', `/api/v1/jobs/${mine.job.jobId}/events`],
    ['GET', `/api/v1/sessions/${mine.sessionId}`],
    ['GET', `/api/v1/sessions/${mine.sessionId}/tools`],
    ['GET', `/api/v1/sessions/${mine.sessionId}/status`],
    ['GET', `/api/v1/sessions/user/${SHARED_LABEL}`],
    ['GET', `/api/v1/sessions/status/completed`],
    ['GET', `/api/v1/tools`],
    ['GET', `/api/v1/tools/${mine.toolId}`],
    ['GET', `/api/v1/tools/by-name/${MOLECULAR_WEIGHT}`],
    ['POST', `/api/v1/tools/${mine.toolId}/deprecate`],
    ['POST', `/api/v1/tools/${mine.toolId}/execute`],
    ['POST', `/api/v1/tools/by-name/${MOLECULAR_WEIGHT}/execute`],
    ['GET', `/api/v1/tools/${mine.toolId}/openai`],
    ['GET', `/api/v1/openai/functions`],
    ['POST', `/api/v1/execute-tool`],
    ['POST', `/mcp`],
  ];
  const origin = () => new URL(api()).origin;

  it('refuses every protected route without a key, with a wrong one or a malformed header: 401, the key never echoed', async () => {
    const wrongKey = `tsk_${'x'.repeat(43)}`;
    const attempts: [string, Record<string, string>, string | undefined][] = [
      ['no key', asClient(''), undefined],
      ['a wrong bearer key', asClient(wrongKey), wrongKey],
      ['a wrong X-API-Key', { authorization: '', 'x-api-key': wrongKey }, wrongKey],
      ['a malformed Authorization', { authorization: `Basic ${wrongKey}` }, wrongKey],
    ];
    for (const [method, route] of protectedRoutes()) {
      for (const [what, headers, sentKey] of attempts) {
        const answer = await request(`${origin()}${route}`, {
          method,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        assertUnauthorized(answer, sentKey, `${method} ${route} with ${what}`);
      }
    }
    const tool = await stack().stores.tools.findById(new ObjectId(mine.toolId));
    assert.equal(tool?.status, 'registered', 'nothing a refused request asked for happened');
  });

  it('keeps health, the OpenAPI document, the docs page and assets, and /metrics open', async () => {
    for (const route of ['/api/v1/health', '/openapi.json', '/docs', '/docs/assets/swagger-ui.css', '/metrics']) {
      const answer = await request(`${origin()}${route}`, { headers: asClient('') });
      assert.equal(answer.status, 200, `${route}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    }
  });

  it('takes the key as Authorization: Bearer or as X-API-Key', async () => {
    assert.equal((await request(`${api()}/tools`, { headers: asClient(stack().apiKey) })).status, 200);
    const viaHeader = await request(`${api()}/tools`, {
      headers: { authorization: '', 'x-api-key': stack().apiKey },
    });
    assert.equal(viaHeader.status, 200, JSON.stringify(viaHeader.body));
  });

  it('creates, lists and revokes keys with the CLI; a revoked key is refused within the key cache time', async () => {
    const created = await keysCli(stack(), 'create', '--client', 'cli-client', '--json');
    assert.equal(created.code, 0, created.stderr);
    const { keyId, clientId, key } = JSON.parse(created.stdout);
    assert.equal(clientId, 'cli-client');
    assert.match(key, /^tsk_[A-Za-z0-9_-]{43}$/);
    assert.equal((await request(`${api()}/tools`, { headers: asClient(key) })).status, 200);

    const listed = await keysCli(stack(), 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${keyId}\\s+cli-client\\s+created \\S+\\s+active`));
    const listedJson = await keysCli(stack(), 'list', '--json');
    assert.ok(!listedJson.stdout.includes(key) && !listedJson.stdout.includes('hash'), 'never the key or its hash');
    assert.ok(JSON.parse(listedJson.stdout).some((entry: any) => entry.keyId === keyId && !entry.revokedAt));

    const revoked = await keysCli(stack(), 'revoke', keyId);
    assert.equal(revoked.code, 0, revoked.stderr);
    const revokedAt = Date.now();
    const { last } = await pollUntil(
      `${api()}/tools`,
      (answer) => answer.status === 401,
      KEY_CACHE_TTL_MS + 5_000,
      250,
      {
        headers: asClient(key),
      },
    );
    assert.ok(Date.now() - revokedAt <= KEY_CACHE_TTL_MS + 2_000, 'refused within the cache time');
    assertUnauthorized(last, key, 'the revoked key');
    assert.match((await keysCli(stack(), 'list')).stdout, new RegExp(`${keyId}\\s+cli-client\\s+.*revoked`));

    const unknown = await keysCli(stack(), 'revoke', 'key_0000000000000000');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /KEY_NOT_FOUND/);
    const badClient = await keysCli(stack(), 'create', '--client', 'not a client id');
    assert.equal(badClient.code, 1);
    assert.match(badClient.stderr, /INVALID_ARGUMENTS/);
  });

  describe('the key of `npm start`', () => {
    it('is made on the first run and kept (mode 600), reused later, and made again once revoked', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-dev-key-'));
      const file = path.join(dir, 'dev-api-key');
      const ensure = () => ensureDevApiKey(stack().serviceEnv.MONGODB_URL!, stack().serviceEnv.MONGODB_DB_NAME!, file);
      try {
        const first = await ensure();
        assert.equal(first.created, true);
        assert.equal((await readFile(file, 'utf8')).trim(), first.key);
        assert.equal((await stat(file)).mode & 0o777, 0o600);
        const listed = await request(`${api()}/tools`, { headers: asClient(first.key) });
        assert.equal(listed.status, 200, 'the key works');

        assert.deepEqual(await ensure(), { key: first.key, created: false });

        const [summary] = (await stack().stores.apiKeys.list()).filter((key) => key.clientId === DEV_CLIENT_ID);
        await stack().stores.apiKeys.revoke(summary!.keyId);
        const renewed = await ensure();
        assert.equal(renewed.created, true);
        assert.notEqual(renewed.key, first.key);
        assert.equal((await readFile(file, 'utf8')).trim(), renewed.key);
        assert.equal((await stat(file)).mode & 0o777, 0o600);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
