import { Db, ObjectId } from 'mongodb';
import type { ToolDocument } from './documents';
import { isDuplicateKeyError } from './mongo';

export type NewTool = Omit<ToolDocument, '_id' | 'version' | 'created_at' | 'updated_at'>;

export function createToolStore(db: Db) {
  const tools = db.collection<ToolDocument>('tools');

  async function nextVersion(name: string): Promise<number> {
    const latest = await tools
      .find({ name }, { projection: { version: 1 } })
      .sort({ version: -1 })
      .limit(1)
      .next();
    return (latest?.version ?? 0) + 1;
  }

  return {
    /**
     * Inserts the tool once per idempotency key; a retried register (same key) gets the first
     * insert's document back instead of a second tool.
     */
    async registerOnce(tool: NewTool, at: Date): Promise<ToolDocument> {
      const existing = await tools.findOne({ idempotency_key: tool.idempotency_key });
      if (existing) return existing;
      const document: ToolDocument = {
        ...tool,
        _id: new ObjectId(),
        version: await nextVersion(tool.name),
        created_at: at,
        updated_at: at,
      };
      try {
        await tools.insertOne(document);
        return document;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const winner = await tools.findOne({ idempotency_key: tool.idempotency_key });
        if (!winner) throw error;
        return winner;
      }
    },

    findByIds(ids: ObjectId[]): Promise<ToolDocument[]> {
      return tools.find({ _id: { $in: ids } }).toArray();
    },

    /** a job's registered tools, whichever run made them: what a retry keeps */
    findRegisteredByJob(jobId: string): Promise<ToolDocument[]> {
      return tools
        .find({ job_id: jobId, status: 'registered' })
        .sort({ requirement_index: 1, created_at: 1 })
        .toArray();
    },

    findById(id: ObjectId): Promise<ToolDocument | null> {
      return tools.findOne({ _id: id });
    },
  };
}

export type ToolStore = ReturnType<typeof createToolStore>;
