import { createHash } from 'node:crypto';
import { Db, ObjectId, type Filter } from 'mongodb';
import { findManyById } from './by-id';
import type { ToolDocument, ToolRequirementDocument, ToolStatus } from './documents';
import { isDuplicateKeyError } from './errors';
import { objectIdOfKey } from './ids';
import { fromStorable, toStorable } from './storable-json';
import { NEWEST_FIRST, olderThan, type PageWindow } from './pages';

export type NewTool = Omit<
  ToolDocument,
  '_id' | 'version' | 'file_path' | 'requirement_key' | 'created_at' | 'updated_at'
>;

export interface ToolFilter {
  name?: string;
  status?: ToolStatus;
  sessionId?: ObjectId;
  jobId?: string;
}

/** What a tool's version list shows of each version. */
export type ToolVersion = Pick<ToolDocument, '_id' | 'version' | 'status' | 'created_at'>;

/** What a tool listing shows of each tool: everything but the code, schemas and tests. */
export type ToolListing = Pick<
  ToolDocument,
  | '_id'
  | 'tenant_id'
  | 'name'
  | 'version'
  | 'status'
  | 'description'
  | 'session_id'
  | 'job_id'
  | 'created_at'
  | 'updated_at'
>;

const TOOL_LISTING_PROJECTION = {
  _id: 1,
  tenant_id: 1,
  name: 1,
  version: 1,
  status: 1,
  description: 1,
  session_id: 1,
  job_id: 1,
  created_at: 1,
  updated_at: 1,
} as const;

/** A version race lost more often than this means something else is wrong (e.g. the index is missing). */
const MAX_VERSION_ATTEMPTS = 25;

const fold = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** JSON with every object's keys sorted: equal values, however their keys were ordered, read the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The reuse key: two requirements whose description, input and output are equal once trimmed,
 * case-folded and with runs of white space made one space, have the same key. Acceptance examples
 * are part of it: a tool made without them (or for others) was never checked against these.
 */
export function requirementKey(requirement: ToolRequirementDocument): string {
  const parts = [fold(requirement.description), fold(requirement.input), fold(requirement.output)];
  if (requirement.examples?.length) parts.push(canonicalJson(requirement.examples));
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** A tool as it was written: its free-form JSON (tests, schemas, examples) unwrapped (store/storable-json.ts). */
export async function readTool(found: Promise<ToolDocument | null>): Promise<ToolDocument | null> {
  const tool = await found;
  return tool && fromStorable(tool);
}

export async function readTools(found: Promise<ToolDocument[]>): Promise<ToolDocument[]> {
  return (await found).map(fromStorable);
}

export function createToolStore(db: Db) {
  const tools = db.collection<ToolDocument>('tools');
  /**
   * The latest version of each (tenant, name), by _id: finding it among the tools would be a scan
   * of the collection on FerretDB. Only a hint: the unique (tenant, name, version) index decides,
   * and a stale hint (FerretDB can lose one of two concurrent updates) costs one more try.
   */
  const latestVersions = db.collection<{ _id: ObjectId; latest: number }>('tool_versions');
  const latestVersionId = (tenant: string, name: string) => objectIdOfKey('tool-version', `${tenant}\n${name}`);

  async function noteVersion(tenant: string, name: string, version: number): Promise<void> {
    try {
      await latestVersions.updateOne(
        { _id: latestVersionId(tenant, name), latest: { $lt: version } },
        { $set: { latest: version } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error; // a later version is noted already
    }
  }

  async function nextVersion(tenant: string, name: string): Promise<number> {
    const hint = await latestVersions.findOne({ _id: latestVersionId(tenant, name) });
    if (hint) return hint.latest + 1;
    // A name registered before the hints were kept: found once among the tools.
    const latest = await tools
      .find({ tenant_id: tenant, name }, { projection: { version: 1 } })
      .sort({ version: -1 })
      .limit(1)
      .next();
    return (latest?.version ?? 0) + 1;
  }

  return {
    /**
     * Inserts the tool once per idempotency key; a retried register (same key) gets the first
     * insert's document back instead of a second tool. The version is the next free one of its
     * (tenant, name): when a concurrent registration takes it first, the unique index rejects this
     * insert and the next number is tried. `filePathOf` places the file of the version it gets.
     */
    async registerOnce(
      tool: NewTool,
      at: Date,
      filePathOf: (version: Pick<ToolDocument, 'tenant_id' | 'name' | 'version'>) => string,
    ): Promise<ToolDocument> {
      const _id = objectIdOfKey('tool', tool.idempotency_key);
      let version = await nextVersion(tool.tenant_id, tool.name);
      for (let attempt = 1; ; attempt += 1) {
        const existing = await tools.findOne({ _id });
        if (existing) return fromStorable(existing);
        const document: ToolDocument = {
          ...tool,
          _id,
          version,
          file_path: filePathOf({ tenant_id: tool.tenant_id, name: tool.name, version }),
          requirement_key: requirementKey(tool.requirement),
          created_at: at,
          updated_at: at,
        };
        try {
          await tools.insertOne(toStorable(document));
          await noteVersion(tool.tenant_id, tool.name, version);
          return document;
        } catch (error) {
          // Our own earlier insert (found above on the next round), a lost version race, or a draft
          // stored under a random _id before ids were derived from keys. FerretDB's error does not
          // name the index; the last collides whatever the version, so it is looked for (a scan)
          // only when the versions tried are used up.
          if (!isDuplicateKeyError(error)) throw error;
          if (attempt >= MAX_VERSION_ATTEMPTS) {
            const earlier = await tools.findOne({ idempotency_key: tool.idempotency_key });
            if (earlier) return fromStorable(earlier);
            throw error;
          }
          // Not noted here: the collision may have been the key's. The hint can lag behind a winner
          // that has not noted its version yet, so never go back.
          version = Math.max(version + 1, await nextVersion(tool.tenant_id, tool.name));
        }
      }
    },

    /** draft → registered, once its file is written. */
    async markRegistered(id: ObjectId, at: Date): Promise<ToolDocument | null> {
      await tools.updateOne({ _id: id, status: 'draft' }, { $set: { status: 'registered', updated_at: at } });
      return readTool(tools.findOne({ _id: id }));
    },

    /** registered → deprecated; null when the tool is not (or no longer) registered. */
    async deprecate(tenant: string, id: ObjectId, at: Date): Promise<ToolDocument | null> {
      const result = await tools.updateOne(
        { _id: id, tenant_id: tenant, status: 'registered' },
        { $set: { status: 'deprecated', deprecated_at: at, updated_at: at } },
      );
      return result.modifiedCount === 1 ? readTool(tools.findOne({ _id: id })) : null;
    },

    findByIds(ids: ObjectId[]): Promise<ToolDocument[]> {
      return readTools(findManyById(tools, ids));
    },

    /** a job's registered tools, whichever run made them: what a retry keeps */
    findRegisteredByJob(jobId: string): Promise<ToolDocument[]> {
      return readTools(
        tools.find({ job_id: jobId, status: 'registered' }).sort({ requirement_index: 1, created_at: 1 }).toArray(),
      );
    },

    /** Any tool by id, whatever its tenant: for the pipeline, which owns what it reads. */
    findById(id: ObjectId): Promise<ToolDocument | null> {
      return readTool(tools.findOne({ _id: id }));
    },

    /** A tenant's tool by id; another tenant's tool is not found, as if it did not exist. */
    findOwned(tenant: string, id: ObjectId): Promise<ToolDocument | null> {
      return readTool(tools.findOne({ _id: id, tenant_id: tenant }));
    },

    /** The given version of a name (whatever its status), or else its newest registered version. */
    findByName(tenant: string, name: string, version?: number): Promise<ToolDocument | null> {
      if (version !== undefined) return readTool(tools.findOne({ tenant_id: tenant, name, version }));
      return readTool(
        tools.find({ tenant_id: tenant, name, status: 'registered' }).sort({ version: -1 }).limit(1).next(),
      );
    },

    /** Every version of a name, newest first. */
    versionsOf(tenant: string, name: string): Promise<ToolVersion[]> {
      return tools
        .find<ToolVersion>(
          { tenant_id: tenant, name },
          { projection: { _id: 1, version: 1, status: 1, created_at: 1 } },
        )
        .sort({ version: -1 })
        .toArray();
    },

    /** The newest registered version of every name, by name: what function calling and MCP offer. */
    async newestRegistered(tenant: string): Promise<ToolDocument[]> {
      const registered = await readTools(
        tools.find({ tenant_id: tenant, status: 'registered' }).sort({ name: 1, version: -1 }).toArray(),
      );
      return registered.filter((tool, index) => index === 0 || registered[index - 1]!.name !== tool.name);
    },

    /** The newest registered tool made for an equal requirement: a job may answer with it instead of a model. */
    findReusable(tenant: string, requirement: ToolRequirementDocument): Promise<ToolDocument | null> {
      return readTool(
        tools
          .find({ tenant_id: tenant, requirement_key: requirementKey(requirement), status: 'registered' })
          .sort(NEWEST_FIRST)
          .limit(1)
          .next(),
      );
    },

    /** A tenant's tools, newest first, optionally of one name, status, session or job. */
    list(tenant: string, filter: ToolFilter, page: PageWindow): Promise<ToolListing[]> {
      const query: Filter<ToolDocument> = {
        tenant_id: tenant,
        ...(filter.name === undefined ? {} : { name: filter.name }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        ...(filter.sessionId === undefined ? {} : { session_id: filter.sessionId }),
        ...(filter.jobId === undefined ? {} : { job_id: filter.jobId }),
        ...olderThan<ToolDocument>(page.after),
      };
      return tools
        .find<ToolListing>(query, { projection: TOOL_LISTING_PROJECTION })
        .sort(NEWEST_FIRST)
        .limit(page.limit)
        .toArray();
    },
  };
}

export type ToolStore = ReturnType<typeof createToolStore>;
