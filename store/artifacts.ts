import { Db, ObjectId } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { objectIdOfKey } from './ids';
import { fromStorable, toStorable } from './storable-json';

/**
 * Large intermediate payloads (documentation found, implementation drafts, what validating a draft
 * found) live here and travel through the workflow as ids, so workflow histories stay small and
 * open fast in the Web UI.
 */
export type ArtifactKind = 'docs' | 'implementation' | 'validation';

interface ArtifactDocument {
  _id: ObjectId;
  job_id: string;
  requirement_index: number;
  kind: ArtifactKind;
  /** the activity attempt's own key: a retried write returns the first write's id */
  key: string;
  content: unknown;
  created_at: Date;
}

export function createArtifactStore(db: Db) {
  const artifacts = db.collection<ArtifactDocument>('artifacts');
  const store = {
    async save(artifact: {
      jobId: string;
      requirementIndex: number;
      kind: ArtifactKind;
      key: string;
      content: unknown;
    }): Promise<string> {
      const _id = objectIdOfKey('artifact', artifact.key);
      try {
        await artifacts.insertOne({
          _id,
          job_id: artifact.jobId,
          requirement_index: artifact.requirementIndex,
          kind: artifact.kind,
          key: artifact.key,
          content: toStorable(artifact.content),
          created_at: new Date(),
        });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // A retried attempt: the first write's artifact stands (written under a random _id before
        // ids were derived from keys, hence the lookup by key when the derived one is absent).
        const first =
          (await artifacts.findOne({ _id }, { projection: { _id: 1 } })) ??
          (await artifacts.findOne({ key: artifact.key }, { projection: { _id: 1 } }));
        if (first) return first._id.toHexString();
        throw error;
      }
      return _id.toHexString();
    },

    async load<T>(id: string, kind: ArtifactKind): Promise<T> {
      const artifact = await artifacts.findOne({ _id: new ObjectId(id), kind });
      if (!artifact) throw new Error(`artifact ${kind} ${id} is missing`);
      return fromStorable(artifact.content) as T;
    },

    /** Saves what is derived from the artifact `originId` (e.g. a draft's validation) under its job and requirement. */
    async saveBeside(
      originId: string,
      artifact: { kind: ArtifactKind; key: string; content: unknown },
    ): Promise<string> {
      const origin = await artifacts.findOne(
        { _id: new ObjectId(originId) },
        { projection: { job_id: 1, requirement_index: 1 } },
      );
      if (!origin) throw new Error(`artifact ${originId} is missing`);
      return store.save({ ...artifact, jobId: origin.job_id, requirementIndex: origin.requirement_index });
    },
  };
  return store;
}

export type ArtifactStore = ReturnType<typeof createArtifactStore>;
