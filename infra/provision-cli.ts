/** `npm run provision` (and `pretest`): provision what this environment needs, report how long it took. */
import { provision, provisionNeedsFromEnv } from './provision';
import { describeFailure } from './setup-error';

async function main(): Promise<void> {
  const startedAt = Date.now();
  await provision(provisionNeedsFromEnv());
  console.log(`provisioned in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`provisioning failed: ${describeFailure(error)}`);
  process.exitCode = 1;
});
