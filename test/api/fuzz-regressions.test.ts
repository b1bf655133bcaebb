/**
 * What `npm run fuzz` (Schemathesis against /openapi.json) found, each kept as the request it sent,
 * so a fault it once found cannot come back unnoticed.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { openApiDocument } from '../../api/openapi';
import { molecularWeightScript } from '../../dev/canned-tools';
import { asClient } from '../../dev/http';
import { runJob } from '../../dev/jobs';
import { assertAnswerConforms, createConformanceChecker } from '../../dev/openapi-conformance';
import { readEventStream } from '../helpers/sse';
import { useTestStack } from '../../dev/stack';

/** fetch refuses to send TRACE at all, so the fuzzer's request goes out through node:http. */
function sendRaw(url: string, method: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
          for (const item of [value ?? []].flat()) answerHeaders.append(name, item);
        }
        resolve({ status: answer.statusCode ?? 0, headers: answerHeaders, text });
      });
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

describe('what the API fuzzer found', function () {
  this.timeout(180_000);
  const stack = useTestStack(molecularWeightScript());

  it('answers TRACE /mcp like any method the document lacks, not with a 500 (a web Request cannot carry TRACE)', async () => {
    const url = `${new URL(stack().apiUrl).origin}/mcp`;
    const jsonRpc = '{"error": {"code": 0, "data": null, "message": ""}, "id": null, "jsonrpc": "2.0", "method": ""}';
    const headers = {
      ...asClient(stack().apiKey),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(jsonRpc)),
    };
    const answer = await sendRaw(url, 'TRACE', headers, jsonRpc);

    assert.equal(answer.status, 404, answer.text);
    assertAnswerConforms({
      method: 'TRACE',
      url,
      status: answer.status,
      headers: answer.headers,
      body: JSON.parse(answer.text),
    });
  });

  it('documents each Server-Sent Event of a job stream as the event it is, not as the text of the stream', async () => {
    const job = await runJob(stack(), ['Calculate the molecular weight of a molecule given as SMILES.']);
    const stream = await readEventStream(`${stack().apiUrl}/jobs/${job.jobId}/events`);
    assert.equal(stream.status, 200);
    assert.deepEqual([...new Set(stream.events.map((event) => event.event))], ['stage', 'job']);

    const checker = createConformanceChecker(openApiDocument());
    const eventSchema = `/paths/${encodeURIComponent('~1api~1v1~1jobs~1{jobId}~1events')}/get/responses/200/content/text~1event-stream/schema`;
    for (const { event, id, data } of stream.events) {
      const asParsed = { event, data: JSON.stringify(data), ...(id === null ? {} : { id }) };
      assert.deepEqual(checker.schemaProblems(eventSchema, asParsed), [], JSON.stringify(asParsed));
    }
  });
});
