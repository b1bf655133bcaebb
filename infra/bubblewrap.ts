/**
 * Provisioning bubblewrap, the sandbox generated code runs in. There is no
 * unsandboxed fallback: if bwrap is missing or cannot create a sandbox on this
 * machine, provisioning fails and says why.
 */
import { installWithApt } from './apt-install';
import { resolveBinary } from './resolve-binary';
import type { Log } from './log';
import { probeCommand } from './run-command';
import { SetupError } from './setup-error';

const DISPLAY_NAME = 'bubblewrap';
const INSTALL_HINT = 'bubblewrap (bwrap) is required to sandbox generated code: apt-get install bubblewrap';

async function checkBwrap(binaryPath: string): Promise<string | undefined> {
  const probe = await probeCommand(binaryPath, ['--version']);
  return probe.ok ? undefined : probe.detail;
}

/**
 * A binary that runs is not enough: containers and hardened kernels often forbid
 * the namespaces bwrap needs, which would only surface when the first tool runs.
 */
async function requireWorkingSandbox(bwrapPath: string): Promise<void> {
  const probe = await probeCommand(bwrapPath, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true']);
  if (probe.ok) return;
  throw new SetupError(
    `bubblewrap (${bwrapPath}) cannot create a sandbox on this machine, and generated code never runs unsandboxed.\n` +
      `${probe.detail}\n` +
      'Usual causes: unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone=1, ' +
      'or on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0), or a container forbids unshare ' +
      '(docker: --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or --privileged).',
  );
}

export async function provisionBubblewrap(log: Log): Promise<string> {
  const bwrapPath = await resolveBinary(
    {
      displayName: DISPLAY_NAME,
      envVar: 'BWRAP_PATH',
      pathName: 'bwrap',
      check: checkBwrap,
      obtain: () =>
        installWithApt(
          { displayName: DISPLAY_NAME, packages: ['bubblewrap'], executable: 'bwrap', installHint: INSTALL_HINT },
          log,
        ),
    },
    log,
  );
  await requireWorkingSandbox(bwrapPath);
  log(`${DISPLAY_NAME}: sandbox check passed`);
  return bwrapPath;
}
