import type { ObjectId } from 'mongodb';
import type { ToolDocument } from '../../store/documents';
import type { ToolStore } from '../../store/tools';
import type { ToolFile } from '../../contract';
import { toToolFile } from './job-views';

/** The registered ones of the given tools, in the order given (a reused tool comes from another job). */
export async function registeredToolFiles(tools: ToolStore, toolIds: ObjectId[]): Promise<ToolFile[]> {
  const found = new Map((await tools.findByIds(toolIds)).map((tool) => [tool._id.toHexString(), tool]));
  return toolIds
    .map((id) => found.get(id.toHexString()))
    .filter((tool): tool is ToolDocument => tool?.status === 'registered')
    .map(toToolFile);
}
