import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';

/** What a database error means for the caller: try again in a moment, or the document exists already. */

/**
 * The database could not do it now, but may in a moment: it is unreachable (killed, restarting),
 * or FerretDB's SQLite file stayed locked by other writers past its busy timeout.
 */
export function isTransientDatabaseError(error: unknown): error is MongoError {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  return error instanceof MongoServerError && /SQLITE_BUSY|database is locked/.test(error.message);
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
