/**
 * `npm run fuzz`: Schemathesis against the real stack's /openapi.json, every operation, with the
 * checks the published document promises; prints requests and failures, exits 1 on any failure.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { molecularWeightScript } from '../dev/canned-tools';
import { startTestStack } from '../dev/stack';
import { fuzzTestStack } from './fuzz-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** Per operation and phase; every operation and phase together make well over 1,000 requests. */
const MAX_EXAMPLES_PER_OPERATION = Number(process.env.FUZZ_MAX_EXAMPLES ?? 10);

async function main(): Promise<void> {
  const stack = await startTestStack({ script: molecularWeightScript() });
  try {
    const outcome = await fuzzTestStack(stack, { maxExamples: MAX_EXAMPLES_PER_OPERATION, echo: true });
    console.log(`\nfuzz: ${outcome.requests} requests, ${outcome.failures} failures (report: ${outcome.reportDir})`);
    process.exitCode = outcome.failures === 0 && outcome.requests > 0 ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
