import type { RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { ServiceError } from '../contract';
import type { RunningJobStore } from '../store/running-jobs';
import type { JobAdmission } from './jobs/job-service';
import { tenantIfAny } from './tenant';

export const RATE_LIMITS_COLLECTION = 'rate_limits';
const WINDOW_SECONDS = 60;
/** A job's place is given back as it ends (its final mirror write): a client over its running-jobs limit is told to look again in this long. */
const RUNNING_JOBS_RETRY_AFTER_MS = 1_000;
/**
 * How often, per client and API process, the places of jobs that ended without giving theirs
 * back (a worker lost before the final write) are looked for: each look asks Temporal about every
 * job holding a place.
 */
const ENDED_HOLDERS_SWEEP_MS = 5_000;
const COUNT_BEHIND_BATCH_MS = 100;

/**
 * The limiter's own index creation makes the TTL index first and gives up when that fails, as it
 * does on FerretDB (no TTL indexes), leaving out the unique index on `key` that keeps concurrent
 * first requests from making two counters. So: the unique index always, the TTL index where the
 * server has them. Without it an expired counter is not deleted but ignored, and replaced by the
 * client's next request (the limiter's own upsert does that): one small document per client.
 */
async function ensureCounterIndexes(db: Db): Promise<void> {
  const counters = db.collection(RATE_LIMITS_COLLECTION);
  await counters.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
  await counters.createIndex({ expire: 1 }, { expireAfterSeconds: 0, name: 'expire_ttl' }).catch(() => undefined);
}

/**
 * Runs one task per key at a time, in order. FerretDB applies concurrent updates of one document
 * as read-modify-write and loses some of them (a burst of 20 counted as a few): one update of a
 * client's counter at a time per process keeps the count exact here; between processes, real
 * MongoDB's atomic $inc does (on FerretDB, concurrent processes can still undercount).
 */
function oneAtATimePerKey() {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const result = (queues.get(key) ?? Promise.resolve()).then(task);
    const settled = result.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return result;
  };
}

/** What this process last heard of a client's window. */
interface KnownWindow {
  remaining: number;
  resetsAt: number;
}

/**
 * Requests per minute per client, counted in MongoDB so that every API process shares the count.
 * Over it: 429 RATE_LIMIT_EXCEEDED with Retry-After. Public routes (no tenant) are not counted.
 *
 * Every request is counted, but a request does not wait for its count while the client is known to
 * be far from its limit (more than `headroom` requests left in its window, as of the last count
 * this process saw, less what it let through since): the count is written behind it. Near the
 * limit, or when nothing is known yet, the request waits for its count and is refused over the
 * limit. So a request costs no MongoDB round trip in the common case, and a client can exceed its
 * limit by at most what several processes let through within one count's round trip (and its
 * batch, COUNT_BEHIND_BATCH_MS).
 */
export function requestRateLimit(db: Db, perMinute: number): RequestHandler {
  const limiter = new RateLimiterMongo({
    storeClient: db,
    tableName: RATE_LIMITS_COLLECTION,
    keyPrefix: 'requests',
    points: perMinute,
    duration: WINDOW_SECONDS,
    disableIndexesCreation: true,
    // MongoDB unreachable: each process keeps counting on its own rather than refusing or waving through
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'requests', points: perMinute, duration: WINDOW_SECONDS }),
  });
  let indexes: Promise<void> | undefined;
  const serially = oneAtATimePerKey();
  const headroom = Math.max(1, Math.floor(perMinute / 10));
  const known = new Map<string, KnownWindow>();
  /** requests let through whose count has not come back yet: not in `known` */
  const uncounted = new Map<string, number>();
  const addUncounted = (tenant: string, requests: number) =>
    uncounted.set(tenant, (uncounted.get(tenant) ?? 0) + requests);
  /** requests let through whose count waits to be written with the next ones */
  const pending = new Map<string, number>();
  const takePending = (tenant: string) => {
    const requests = pending.get(tenant) ?? 0;
    pending.delete(tenant);
    return requests;
  };
  const consume = (tenant: string, requests: number) =>
    serially(tenant, () => limiter.consume(tenant, requests))
      .then(
        (result) => {
          known.set(tenant, { remaining: result.remainingPoints, resetsAt: Date.now() + result.msBeforeNext });
        },
        (rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) {
            known.set(tenant, { remaining: 0, resetsAt: Date.now() + rejection.msBeforeNext });
          }
          throw rejection;
        },
      )
      .finally(() => addUncounted(tenant, -requests));
  /** counts the request, with any still pending, and waits for the count */
  const count = (tenant: string) => {
    addUncounted(tenant, 1);
    return consume(tenant, 1 + takePending(tenant));
  };
  /**
   * Counts the request behind it, with the others of the next COUNT_BEHIND_BATCH_MS: one write
   * instead of one per request (at 200 requests/s, a third of a finished job's database work).
   */
  const countBehind = (tenant: string) => {
    addUncounted(tenant, 1);
    const waiting = pending.get(tenant);
    pending.set(tenant, (waiting ?? 0) + 1);
    if (waiting !== undefined) return;
    setTimeout(() => {
      const requests = takePending(tenant);
      // over the limit by now: the next request waits and is told
      if (requests > 0) consume(tenant, requests).catch(() => undefined);
    }, COUNT_BEHIND_BATCH_MS).unref();
  };
  const farFromLimit = (tenant: string) => {
    const window = known.get(tenant);
    return (
      window !== undefined && window.resetsAt > Date.now() && window.remaining - (uncounted.get(tenant) ?? 0) > headroom
    );
  };

  return async (_req, res, next) => {
    const tenant = tenantIfAny(res);
    if (tenant === undefined) return next();
    indexes ??= ensureCounterIndexes(db).catch(() => {
      indexes = undefined; // tried again by a later request
    });
    await indexes;
    if (farFromLimit(tenant)) {
      countBehind(tenant);
      return next();
    }
    try {
      await count(tenant);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new ServiceError(
        'RATE_LIMIT_EXCEEDED',
        `This client sent more than ${perMinute} requests in a minute; try again in ${seconds} s.`,
        {
          retryable: true,
          retryAfterMs: rejection.msBeforeNext,
          details: { limit: perMinute, windowSeconds: WINDOW_SECONDS },
        },
      );
    }
    next();
  };
}

/**
 * At most `capacity` jobs of a client run at once. A job takes one of the client's numbered
 * places (insert-once, so concurrent submissions on any API process cannot overfill it) and gives
 * it back with its run's final mirror write. When every place is taken, the places of jobs that
 * ended without giving theirs back (asked of Temporal: `hasEnded`) are freed first, at most every
 * ENDED_HOLDERS_SWEEP_MS.
 */
export function runningJobLimit(
  places: RunningJobStore,
  capacity: number,
  hasEnded: (jobId: string, admittedAt: Date) => Promise<boolean>,
): JobAdmission {
  const limitReached = () =>
    new ServiceError(
      'RATE_LIMIT_EXCEEDED',
      `This client already has ${capacity} jobs running, the most it may run at once; submit again once one has ended.`,
      { retryable: true, retryAfterMs: RUNNING_JOBS_RETRY_AFTER_MS, details: { maxRunningJobs: capacity } },
    );
  const lastSweep = new Map<string, number>();
  const sweepDue = (tenant: string) => {
    const now = Date.now();
    if ((lastSweep.get(tenant) ?? 0) + ENDED_HOLDERS_SWEEP_MS > now) return false;
    lastSweep.set(tenant, now);
    return true;
  };
  return {
    async admit(tenant, jobId) {
      if (await places.tryAcquire(tenant, jobId, capacity)) return;
      if (!sweepDue(tenant)) throw limitReached();
      const holders = await places.holders(tenant);
      const ended = await Promise.all(holders.map((holder) => hasEnded(holder.job_id, holder.acquired_at)));
      const freed = holders.filter((_, index) => ended[index]);
      await Promise.all(freed.map((holder) => places.release(tenant, holder.job_id)));
      if (freed.length > 0 && (await places.tryAcquire(tenant, jobId, capacity))) return;
      throw limitReached();
    },

    release: (tenant, jobId) => places.release(tenant, jobId),
  };
}
