import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { propagation, trace } from '@opentelemetry/api';
import { startTracing } from '../../observability/tracing';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { startTestStack, type TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';
import { keyedClient, startLoggingWorker, type LoggingWorker } from './helpers';

interface ReceivedSpan {
  name: string;
  traceId: string;
  service: string;
}

/** A stand-in OTLP/HTTP collector on loopback: keeps the spans posted to /v1/traces (JSON). */
async function startCollector(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const resourceSpans of JSON.parse(body).resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value
            ?.stringValue;
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) spans.push({ name: span.name, traceId: span.traceId, service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe('tracing: OpenTelemetry through the Temporal interceptors', function () {
  this.timeout(240_000);

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: no SDK, no global provider or propagator', () => {
    assert.equal(startTracing({}, 'toolsmith-test'), undefined);
    assert.deepEqual(propagation.fields(), []);
    assert.equal(trace.getTracer('probe').startSpan('probe').isRecording(), false);
  });

  describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
    let stack: TestStack;
    let worker: LoggingWorker;
    let collector: Awaited<ReturnType<typeof startCollector>>;

    before(async () => {
      collector = await startCollector();
      stack = await startTestStack({ script: catalogueScript(standardCatalogue), inProcessWorker: false });
      worker = await startLoggingWorker(stack, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    });
    after(async () => {
      await worker?.stop();
      await stack?.stop();
      collector?.server.close();
    });

    it("exports the workflow's and the activities' spans of a job, in one trace", async () => {
      const job = await (
        await keyedClient(stack)
      ).runJob(['Calculate the molecular weight of a compound from SMILES.']);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      const wanted = ['RunWorkflow:toolGenerationJob', 'StartActivity:planTool', 'RunActivity:planTool'];
      await waitFor(
        () => wanted.every((name) => collector.spans.some((span) => span.name === name)),
        30_000,
        `spans ${wanted.join(', ')} (received: ${collector.spans.map((span) => span.name).join(', ')})`,
      );
      const runActivity = collector.spans.find((span) => span.name === 'RunActivity:validateTool')!;
      const runWorkflow = collector.spans.find((span) => span.name === 'RunWorkflow:toolGenerationJob')!;
      assert.equal(runActivity.traceId, runWorkflow.traceId, 'the activity runs in the workflow trace');
      assert.equal(runActivity.service, 'toolsmith-worker');
    });
  });
});
