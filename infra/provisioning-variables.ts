/**
 * The environment variables provisioning and `npm start`'s file layout read (here in infra/, not
 * through config/): where the cache and the data live, and the binaries to use instead of
 * building or installing them. docs/configuration.md lists them from this table
 * (`npm run docs:config`, dev/docs-config.ts); a variable added to infra/ belongs here too.
 */
export interface ProvisioningVariable {
  name: string;
  /** what applies when it is unset, as Markdown */
  default: string;
  /** what it does, as Markdown */
  meaning: string;
}

export const provisioningVariables: readonly ProvisioningVariable[] = [
  {
    name: 'TOOLSMITH_CACHE_DIR',
    default: '`~/.cache/toolsmith` (`$XDG_CACHE_HOME/toolsmith` when that is set)',
    meaning:
      'the per-user provisioning cache, shared by every clone on the machine: the `temporal` CLI, FerretDB, the Go caches, the Python tool runtime, the time-skipping test server, and `provisioned.json`, the paths the last provisioning resolved',
  },
  {
    name: 'TOOLSMITH_DATA_DIR',
    default: '`.data` in the clone',
    meaning:
      "`npm start`'s instance: Temporal's SQLite file, FerretDB's files, the tools directory and the dev API key (`dev-api-key`); deleting it resets the instance",
  },
  {
    name: 'TEMPORAL_CLI_PATH',
    default: '`temporal` on `PATH`, else the cached build',
    meaning:
      'a `temporal` CLI (it runs the embedded dev server) to use instead of building v1.5.1 with `go install` from the Go module proxy',
  },
  {
    name: 'TOOLSMITH_SKIP_TEMPORAL_CLI',
    default: 'unset',
    meaning:
      '`1`, with `TEMPORAL_ADDRESS` set: provision no `temporal` CLI, for running only the API and the worker against an existing server (the tests start dev servers of their own and always need it)',
  },
  {
    name: 'FERRETDB_PATH',
    default: 'the cached build',
    meaning:
      'a FerretDB 1.x binary to use instead of building v1.24.2 with its `_id` lookup fixes (the v1.24.2 release works, scanning a collection for each lookup by `_id`); with `MONGODB_URL` set no FerretDB is needed',
  },
  {
    name: 'TOOLSMITH_PYTHON',
    default: '`python3` on `PATH`',
    meaning:
      "the Python (3.10 or later, with venv) the tool runtime's venv is made from; the fuzzer's Schemathesis venv too",
  },
  {
    name: 'TOOLSMITH_PROVISION_BROWSER',
    default: 'unset (`npm test` provisions it)',
    meaning:
      '`1`: provision Chromium for the web console tests outside `npm test` (`apt-get install chromium` when it is missing and provisioning runs as root)',
  },
  {
    name: 'CHROMIUM_PATH',
    default: '`chromium` on `PATH`, else installed with apt',
    meaning: 'a Chromium or Chrome binary for the browser tests (playwright-core never downloads its own)',
  },
  {
    name: 'TOOLSMITH_PROVISION_TEST_SERVER',
    default: 'unset (`npm test` and `npm run test:unit` provision it)',
    meaning:
      "`1`: provision Temporal's time-skipping test server outside the tests (fetched from Maven Central: needs Java 11 or later and Maven)",
  },
  {
    name: 'TEMPORAL_TEST_SERVER_PATH',
    default: 'the cached install, else fetched from Maven Central',
    meaning: "a `temporal-test-server` executable for the unit tier's time-skipping workflow tests",
  },
];
