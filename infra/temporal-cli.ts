/** Provisioning the `temporal` CLI, which runs the embedded dev server (for `npm start` and the tests). */
import path from 'node:path';
import { cacheBinDir } from './cache';
import { goInstall } from './go-toolchain';
import { resolveBinary } from './resolve-binary';
import type { Log } from './log';
import { probeCommand } from './run-command';

/** The newest release that `go install …@version` can build; later tags fail to install that way. */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const DISPLAY_NAME = 'temporal CLI';

async function checkTemporalCli(binaryPath: string): Promise<string | undefined> {
  const probe = await probeCommand(binaryPath, ['--version']);
  return probe.ok ? undefined : probe.detail;
}

export function provisionTemporalCli(log: Log): Promise<string> {
  const cachedPath = path.join(cacheBinDir(), 'temporal');
  const build = async (): Promise<string> => {
    await goInstall({
      packagePath: 'github.com/temporalio/cli/cmd/temporal',
      version: TEMPORAL_CLI_VERSION,
      finalPath: cachedPath,
      displayName: DISPLAY_NAME,
      alternative: 'set TEMPORAL_CLI_PATH to a temporal binary (or TEMPORAL_ADDRESS to use an existing server)',
      log,
    });
    return cachedPath;
  };
  return resolveBinary(
    {
      displayName: DISPLAY_NAME,
      envVar: 'TEMPORAL_CLI_PATH',
      pathName: 'temporal',
      cachedPath,
      check: checkTemporalCli,
      obtain: build,
    },
    log,
  );
}
