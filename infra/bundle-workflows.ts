/**
 * Bundles the workflow code once, ahead of time (the Docker image's build stage), so a worker
 * starts without running webpack: `tsx infra/bundle-workflows.ts <output file>`, then run the
 * worker with WORKFLOW_BUNDLE_PATH pointing at it. The same code the worker would bundle at start.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const output = process.argv[2];
  if (!output) throw new Error('usage: tsx infra/bundle-workflows.ts <output file>');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  await writeFile(path.resolve(output), code);
  console.log(`workflow bundle written to ${output} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
