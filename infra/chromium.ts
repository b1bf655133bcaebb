/**
 * Provisioning Chromium, the real browser the web console's tests drive (through playwright-core,
 * whose own browser downloads are not reachable from where this project is built). Debian's
 * package is used as it is; nothing is downloaded into the cache.
 */
import { installWithApt } from './apt-install';
import type { Log } from './log';
import { resolveBinary } from './resolve-binary';
import { probeCommand } from './run-command';

const DISPLAY_NAME = 'Chromium';
const INSTALL_HINT =
  'Chromium is required by the web console tests: apt-get install chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)';

/** Looks like a Chromium that runs: `--version` names it. */
async function checkChromium(binaryPath: string): Promise<string | undefined> {
  const probe = await probeCommand(binaryPath, ['--version']);
  if (!probe.ok) return probe.detail;
  return /chrom/i.test(probe.stdout) ? undefined : `"${probe.stdout}" is not a Chromium version`;
}

/** CHROMIUM_PATH, else chromium on PATH, else apt-get install (as root; otherwise a hint). */
export function provisionChromium(log: Log): Promise<string> {
  return resolveBinary(
    {
      displayName: DISPLAY_NAME,
      envVar: 'CHROMIUM_PATH',
      pathName: 'chromium',
      check: checkChromium,
      obtain: () =>
        installWithApt(
          {
            displayName: DISPLAY_NAME,
            // a font, so pages (and their screenshots) have readable text on a minimal system
            packages: ['chromium', 'fonts-dejavu-core'],
            executable: 'chromium',
            installHint: INSTALL_HINT,
          },
          log,
        ),
    },
    log,
  );
}
