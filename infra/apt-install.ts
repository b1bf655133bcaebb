/**
 * Installing a system package with apt-get, for what provisioning cannot put in its own cache
 * (bubblewrap, the test browser). Only where that can work unattended: apt-get present, running as
 * root. Elsewhere the caller's hint says how a person installs it.
 */
import { findOnPath } from './executables';
import type { Log } from './log';
import { runCommand } from './run-command';
import { SetupError } from './setup-error';

export interface AptInstall {
  /** for log lines, e.g. "bubblewrap" */
  displayName: string;
  packages: readonly string[];
  /** the executable the packages provide, looked up on PATH afterwards */
  executable: string;
  /** what to tell a person when this cannot be done unattended */
  installHint: string;
}

/** Installs the packages and returns the path of the executable they provide. */
export async function installWithApt(install: AptInstall, log: Log): Promise<string> {
  const aptGet = findOnPath('apt-get');
  if (!aptGet || process.getuid?.() !== 0) throw new SetupError(install.installHint);
  log(`${install.displayName}: not found; installing it with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const common = { env, log, outputPrefix: '  apt |' };
  await runCommand({ ...common, command: aptGet, args: ['update'], activity: 'updating the apt package lists' });
  await runCommand({
    ...common,
    command: aptGet,
    args: ['install', '-y', '--no-install-recommends', ...install.packages],
    activity: `installing ${install.packages.join(', ')}`,
  });
  const installed = findOnPath(install.executable);
  if (!installed) {
    throw new SetupError(
      `apt-get installed ${install.packages.join(', ')} but ${install.executable} is still not on PATH. ${install.installHint}`,
    );
  }
  return installed;
}
