/** `pretest:unit`: provision only what the unit tier needs (the time-skipping test server), report how long it took. */
import { provisionUnitTier } from './provision';
import { describeFailure } from './setup-error';

async function main(): Promise<void> {
  const startedAt = Date.now();
  await provisionUnitTier();
  console.log(`provisioned the unit tier in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`provisioning failed: ${describeFailure(error)}`);
  process.exitCode = 1;
});
