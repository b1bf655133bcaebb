/**
 * Provisioning Temporal's time-skipping test server, for the unit tier of workflow tests
 * (`TestWorkflowEnvironment.createTimeSkipping`). The SDK would download a native build from
 * temporal.download, which is not reachable from where this project is built; the Java SDK
 * publishes the same server on Maven Central (io.temporal:temporal-test-server), so Maven fetches
 * it with its runtime dependencies into the cache, and a small sh wrapper runs it on the JVM.
 *
 * sdk-core runs an `existing-path` test server as `<path> <port> [...extraArgs]` and gives it 5 s
 * to accept a connection. A cold JVM takes 1-2 s, so a class-data archive recorded at install time
 * (Java's AppCDS) brings that to about half a second.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { installWithApt } from './apt-install';
import { installBuiltFile, writeFileAtomically } from './atomic-fs';
import { toolsmithCacheDir } from './cache';
import { findFreePort, startServiceOnPort } from './child-process';
import { findOnPath } from './executables';
import type { Log } from './log';
import { resolveBinary } from './resolve-binary';
import { probeCommand, runCommand } from './run-command';
import { describeFailure, SetupError } from './setup-error';

const TEST_SERVER_VERSION = '1.38.0';
/** The slf4j binding matching the server's slf4j-api 1.7.x: its warnings and errors reach stderr. */
const SLF4J_VERSION = '1.7.36';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const DISPLAY_NAME = 'Temporal test server';
const WRAPPER_NAME = 'temporal-test-server';
const CLASS_ARCHIVE = 'classes.jsa';
const MVN_PREFIX = 'mvn |';
/** What the server prints when run without a port (and exits 0): proof the JVM found its classes. */
const USAGE_LINE = /Usage: <command> <port>/;
const INSTALL_HINT =
  'Java (11+) and Maven are needed to fetch the Temporal test server from Maven Central: ' +
  'apt-get install default-jre-headless maven (or set TEMPORAL_TEST_SERVER_PATH to a temporal-test-server executable)';

function installDir(): string {
  return path.join(toolsmithCacheDir(), 'temporal-test-server', TEST_SERVER_VERSION);
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** JVM options for a short-lived, lightly loaded server: fast start over peak throughput. */
function jvmOptions(dir: string, jars: readonly string[]): string[] {
  const classPath = jars.map((jar) => path.join(dir, 'lib', jar)).join(':');
  return [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    classPath,
  ];
}

/**
 * `exec`, so the pid sdk-core kills on teardown is the JVM's. The background loop kills the JVM
 * when the process that started it dies without stopping it (a SIGKILLed test run); it holds none
 * of the server's output pipes, and ends by itself once the server is gone.
 */
function wrapperScript(java: string, options: readonly string[]): string {
  return [
    '#!/bin/sh',
    `# Temporal's time-skipping test server ${TEST_SERVER_VERSION} (io.temporal:temporal-test-server), installed by`,
    '# infra/temporal-test-server.ts. Usage: temporal-test-server <port> [--enable-time-skipping]',
    'server=$$',
    'parent=$PPID',
    '(',
    '  while kill -0 "$parent" && kill -0 "$server"; do sleep 1; done',
    '  kill -0 "$parent" || kill -s KILL "$server"',
    ') </dev/null >/dev/null 2>&1 &',
    `exec ${[java, ...options, MAIN_CLASS].map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n');
}

function fetchPom(): string {
  const dependency = (groupId: string, artifactId: string, version: string): string =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.toolsmith</groupId>',
    '  <artifactId>temporal-test-server-fetch</artifactId>',
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('io.temporal', 'temporal-test-server', TEST_SERVER_VERSION),
    dependency('org.slf4j', 'slf4j-simple', SLF4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Works when, run without a port, it prints the server's usage line; with our class archive, that it still maps. */
async function checkTestServer(executable: string): Promise<string | undefined> {
  const probe = await probeCommand(executable, []);
  if (!probe.ok) return probe.detail;
  if (!USAGE_LINE.test(probe.detail))
    return `run without a port, it did not print the test server's usage (output: "${probe.detail}")`;
  const archive = path.join(path.dirname(executable), CLASS_ARCHIVE);
  if (!(await fs.stat(archive).catch(() => undefined))) return undefined;
  // The JVM ignores an archive it cannot use (another Java build, changed jars): that only costs
  // a second per start, but a rebuild puts it right, so -Xshare:on makes it an error here.
  const shared = await probeCommand(executable, [], { env: { ...process.env, JDK_JAVA_OPTIONS: '-Xshare:on' } });
  return shared.ok ? undefined : `its class-data archive no longer matches this Java or its jars: ${shared.detail}`;
}

/** `command` on PATH, else installed with apt-get (as root), else a SetupError saying what to install. */
async function requireCommand(command: string, aptPackage: string, log: Log): Promise<string> {
  const found = findOnPath(command);
  if (found) return found;
  const installHint = `\`${command}\` is not on PATH. ${INSTALL_HINT}`;
  return installWithApt(
    { displayName: `${DISPLAY_NAME} (${command})`, packages: [aptPackage], executable: command, installHint },
    log,
  );
}

/** The jar of the server and of each runtime dependency, into `libDir`; Maven's repository stays in the cache. */
async function fetchJars(mvn: string, workDir: string, libDir: string, log: Log): Promise<void> {
  await fs.mkdir(workDir, { recursive: true });
  await fs.writeFile(path.join(workDir, 'pom.xml'), fetchPom());
  await runCommand({
    command: mvn,
    args: [
      '-q',
      '-B',
      '-Dstyle.color=never',
      `-Dmaven.repo.local=${path.join(toolsmithCacheDir(), 'maven', 'repository')}`,
      '-f',
      path.join(workDir, 'pom.xml'),
      `${DEPENDENCY_PLUGIN}:copy-dependencies`,
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libDir}`,
    ],
    cwd: workDir,
    activity: `fetching ${DISPLAY_NAME} ${TEST_SERVER_VERSION} from Maven Central`,
    // Debian's Maven 3.8 prints bare colour resets even in batch mode; only real lines are shown
    log: (line) => {
      if (line.replaceAll('\u001b[0m', '').trim() !== MVN_PREFIX) log(line);
    },
    outputPrefix: `  ${MVN_PREFIX}`,
  });
}

/**
 * Records the classes the server loads while starting into an archive beside it, which later
 * JVMs map instead of loading them again. Best effort: without it the server still works.
 * Recorded in place because the archive names the jars by path.
 */
async function recordClassArchive(java: string, options: readonly string[], dir: string, log: Log): Promise<void> {
  const archive = path.join(dir, CLASS_ARCHIVE);
  const staged = `${archive}.${process.pid}.tmp`;
  try {
    const port = await findFreePort();
    const server = await startServiceOnPort({
      name: DISPLAY_NAME,
      command: java,
      args: [`-XX:ArchiveClassesAtExit=${staged}`, '-Xlog:cds*=off', ...options, MAIN_CLASS, String(port)],
      host: '127.0.0.1',
      port,
      output: () => {}, // kept in the tail for an error message
    });
    await server.stop(30_000); // the JVM writes the archive as it exits
    await fs.access(staged);
    await fs.rename(staged, archive);
  } catch (error) {
    log(`${DISPLAY_NAME}: no class-data archive, so it starts about a second slower (${describeFailure(error)})`);
  } finally {
    await fs.rm(staged, { force: true });
  }
}

async function buildTestServer(log: Log): Promise<string> {
  const java = await requireCommand('java', 'default-jre-headless', log);
  const mvn = await requireCommand('mvn', 'maven', log);
  const dir = installDir();
  log(`${DISPLAY_NAME}: fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} with Maven`);
  // An unusable earlier install (we hold the provisioning lock); the rename below needs the name free.
  await fs.rm(dir, { recursive: true, force: true });
  let options: string[] = [];
  await installBuiltFile(dir, async (stagingDir) => {
    const built = path.join(stagingDir, 'install');
    const libDir = path.join(built, 'lib');
    await fetchJars(mvn, path.join(stagingDir, 'fetch'), libDir, log);
    const jars = (await fs.readdir(libDir)).filter((name) => name.endsWith('.jar')).sort();
    if (!jars.includes(`temporal-test-server-${TEST_SERVER_VERSION}.jar`)) {
      throw new SetupError(
        `Maven did not fetch temporal-test-server-${TEST_SERVER_VERSION}.jar (got: ${jars.join(', ')})`,
      );
    }
    // paths of the final location: the wrapper only runs once the directory is renamed there
    options = jvmOptions(dir, jars);
    await fs.writeFile(path.join(built, WRAPPER_NAME), wrapperScript(java, options), { mode: 0o755 });
    return built;
  });
  await recordClassArchive(java, options, dir, log);
  const wrapper = path.join(dir, WRAPPER_NAME);
  if (await fs.stat(path.join(dir, CLASS_ARCHIVE)).catch(() => undefined)) {
    const withArchive = [`-XX:SharedArchiveFile=${path.join(dir, CLASS_ARCHIVE)}`, '-Xlog:cds*=off', ...options];
    await writeFileAtomically(wrapper, wrapperScript(java, withArchive), 0o755);
  }
  return wrapper;
}

/**
 * TEMPORAL_TEST_SERVER_PATH, else the cached install, else fetched with Maven. Returns an executable
 * for `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 * Callers hold the provisioning lock.
 */
export function provisionTemporalTestServer(log: Log): Promise<string> {
  return resolveBinary(
    {
      displayName: DISPLAY_NAME,
      envVar: 'TEMPORAL_TEST_SERVER_PATH',
      cachedPath: path.join(installDir(), WRAPPER_NAME),
      check: checkTestServer,
      obtain: () => buildTestServer(log),
    },
    log,
  );
}
