import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Mocha root hook module: one Temporal runtime for the test process, logging errors only (expected failures in tests would otherwise print stack traces). */
Runtime.install({ logger: new DefaultLogger('ERROR') });
