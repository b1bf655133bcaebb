import assert from 'node:assert/strict';
import { MAX_REQUIREMENTS_PER_JOB } from '../../contract';
import { molecularWeightScript } from '../../dev/canned-tools';
import { postJson, request } from '../../dev/http';
import { assertErrorResponse } from '../helpers/assertions';
import { startTestStack, type TestStack } from '../../dev/stack';

const valid = {
  description: 'Convert Celsius to Fahrenheit.',
  input: 'a temperature in Celsius',
  output: 'the temperature in Fahrenheit',
};

describe('the API answers bad requests with clear 4xx ErrorResponses (shared/examples/bad-requests.md)', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let jobs: string;

  before(async () => {
    stack = await startTestStack({ script: molecularWeightScript() });
    jobs = `${stack.apiUrl}/jobs`;
  });
  after(async () => stack?.stop());

  it('rejects a body that is not JSON', async () => {
    assertErrorResponse(await postJson(jobs, '{"toolRequirements": [ oops'), 400, 'INVALID_REQUEST');
  });

  it('rejects JSON that is not an object', async () => {
    for (const body of ['[1, 2]', '"text"', '42', 'null']) {
      const answer = await postJson(jobs, body);
      assert.ok(answer.status === 400, `${body}: ${answer.status}`);
      assertErrorResponse(answer, 400, 'INVALID_REQUEST');
    }
  });

  it('rejects a body sent without a JSON content type', async () => {
    const answer = await request(jobs, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assertErrorResponse(answer, 400, 'INVALID_REQUEST');
  });

  it('rejects toolRequirements missing, not an array, or empty', async () => {
    assertErrorResponse(await postJson(jobs, {}), 400, 'INVALID_REQUEST', 'toolRequirements');
    assertErrorResponse(await postJson(jobs, { toolRequirements: 'calc' }), 400, 'INVALID_REQUEST', 'toolRequirements');
    assertErrorResponse(await postJson(jobs, { toolRequirements: {} }), 400, 'INVALID_REQUEST', 'toolRequirements');
    assertErrorResponse(await postJson(jobs, { toolRequirements: [] }), 400, 'INVALID_REQUEST', 'toolRequirements');
  });

  for (const field of ['description', 'input', 'output'] as const) {
    it(`rejects a requirement whose ${field} is missing, not a string, or empty`, async () => {
      const { [field]: _dropped, ...without } = valid;
      const path = `toolRequirements.0.${field}`;
      assertErrorResponse(await postJson(jobs, { toolRequirements: [without] }), 400, 'INVALID_REQUEST', path);
      assertErrorResponse(
        await postJson(jobs, { toolRequirements: [{ ...valid, [field]: 42 }] }),
        400,
        'INVALID_REQUEST',
        path,
      );
      assertErrorResponse(
        await postJson(jobs, { toolRequirements: [{ ...valid, [field]: '' }] }),
        400,
        'INVALID_REQUEST',
        path,
      );
      assertErrorResponse(
        await postJson(jobs, { toolRequirements: [{ ...valid, [field]: '   ' }] }),
        400,
        'INVALID_REQUEST',
        path,
      );
    });
  }

  it('rejects a requirement that is not an object', async () => {
    assertErrorResponse(
      await postJson(jobs, { toolRequirements: ['calc'] }),
      400,
      'INVALID_REQUEST',
      'toolRequirements.0',
    );
  });

  it('rejects a description of 1 MB, naming the field', async () => {
    const answer = await postJson(jobs, { toolRequirements: [{ ...valid, description: 'x'.repeat(1024 * 1024) }] });
    assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'toolRequirements.0.description');
  });

  it('rejects 10,000 requirements in one job', async () => {
    const answer = await postJson(jobs, { toolRequirements: Array.from({ length: 10_000 }, () => valid) });
    assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'toolRequirements');
    assert.ok(answer.body.error.includes(`at most ${MAX_REQUIREMENTS_PER_JOB}`));
  });

  it('rejects a body over the size limit with 413', async () => {
    const answer = await postJson(jobs, { toolRequirements: [{ ...valid, description: 'x'.repeat(3 * 1024 * 1024) }] });
    assertErrorResponse(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('rejects metadata that is not an object, and a numeric clientId', async () => {
    assertErrorResponse(
      await postJson(jobs, { toolRequirements: [valid], metadata: 'web' }),
      400,
      'INVALID_REQUEST',
      'metadata',
    );
    assertErrorResponse(
      await postJson(jobs, { toolRequirements: [valid], metadata: { clientId: 7 } }),
      400,
      'INVALID_REQUEST',
      'metadata.clientId',
    );
  });

  it('rejects an acceptance example with both output and raises, or neither, naming the field', async () => {
    const examplesOf = async (example: unknown) =>
      postJson(jobs, { toolRequirements: [{ ...valid, examples: [example] }] });
    const at = (field: string) => `toolRequirements.0.examples.0${field}`;
    const cases: [unknown, string, RegExp][] = [
      [{ input: { c: 1 }, output: 33.8, raises: 'ValueError' }, at('.raises'), /cannot be given with output/],
      [{ input: { c: 1 } }, at('.output'), /is required \(or, instead, raises/],
      [{ input: { c: 1 }, output: 33.8, match: 'too cold' }, at('.match'), /only allowed with raises/],
      [{ input: { c: 1 }, raises: 'ValueError', tolerance: 0.1 }, at('.tolerance'), /an example that raises/],
      [{ input: { c: 1 }, raises: 'not a class!' }, at('.raises'), /must be a Python exception class name/],
      [{ input: { c: 1 }, raises: 7 }, at('.raises'), /must be a string/],
      [
        { input: { c: -300 }, raises: 'ValueError', expected: 'x' },
        at(''),
        /unknown field "expected" \(known: input, output, raises, match, tolerance\)/,
      ],
    ];
    for (const [example, field, message] of cases) {
      const answer = await examplesOf(example);
      assertErrorResponse(answer, 400, 'INVALID_REQUEST', field);
      assert.match(answer.body.error, message, JSON.stringify(example));
    }
  });

  it('answers an unknown job with 404 JOB_NOT_FOUND', async () => {
    const answer = await request(`${jobs}/job_000000000000000000000000`);
    assertErrorResponse(answer, 404, 'JOB_NOT_FOUND');
    assert.equal(answer.body.jobId, 'job_000000000000000000000000');
  });

  it('rejects a job id with path characters or of 10 KB', async () => {
    assertErrorResponse(await request(`${jobs}/..%2F..%2Fetc%2Fpasswd`), 400, 'INVALID_REQUEST', 'jobId');
    assertErrorResponse(await request(`${jobs}/job%00x`), 400, 'INVALID_REQUEST', 'jobId');
    assertErrorResponse(await request(`${jobs}/${'a'.repeat(10 * 1024)}`), 400, 'INVALID_REQUEST', 'jobId');
  });

  it('rejects an unknown session status', async () => {
    assertErrorResponse(await request(`${stack.apiUrl}/sessions/status/notastatus`), 400, 'INVALID_REQUEST', 'status');
  });

  it('answers an unknown route with a 404 ErrorResponse', async () => {
    assertErrorResponse(await request(`${stack.apiUrl}/nothing-here`), 404, 'INVALID_REQUEST');
  });

  it('keeps a valid X-Request-Id from the client', async () => {
    const answer = await request(`${jobs}/job_000000000000000000000000`, {
      headers: { 'x-request-id': 'client-trace-1' },
    });
    assert.equal(answer.headers.get('x-request-id'), 'client-trace-1');
    assert.equal(answer.body.requestId, 'client-trace-1');
  });

  it('accepts a valid request after all of that', async () => {
    const answer = await postJson(jobs, { toolRequirements: [valid], metadata: { clientId: 'tests' } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'pending');
  });

  it('serves the OpenAPI 3.1 document for every route, and the docs page that renders it', async () => {
    const base = stack.apiUrl.replace(/\/api\/v1$/, '');
    const document = await request(`${base}/openapi.json`);
    assert.equal(document.status, 200);
    assert.equal(document.body.openapi, '3.1.0');
    for (const path of [
      '/api/v1/health',
      '/api/v1/jobs',
      '/api/v1/jobs/{jobId}',
      '/api/v1/jobs/{jobId}/cancel',
      '/api/v1/jobs/{jobId}/retry',
      '/api/v1/jobs/{jobId}/events',
      '/api/v1/sessions/{session_id}',
      '/api/v1/sessions/{session_id}/tools',
      '/api/v1/sessions/{session_id}/status',
      '/api/v1/sessions/user/{user_id}',
      '/api/v1/sessions/status/{status_value}',
    ]) {
      assert.ok(document.body.paths[path], `documents ${path}`);
    }
    const page = await request(`${base}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.body, /SwaggerUIBundle\(\{ url: '\/openapi.json'/);
    const bundle = await fetch(`${base}/docs/assets/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
  });
});
