import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Mocha root hook module: one Temporal runtime for the test process, logging errors only (expected failures in tests would otherwise print stack traces). */
Runtime.install({ logger: new DefaultLogger('ERROR') });
/** The stack's API and worker processes log nothing unless a test asks for their lines (LOG_LEVEL=info to watch them). */
process.env.LOG_LEVEL ??= 'silent';
