import type { Requirement } from '../llm/prompts';
import type { Stores } from '../store';
import { DEFAULT_TENANT } from '../store/documents';
import type { GeneratedToolRef } from '../contract';

export interface FindReusableToolsInput {
  tenantId?: string;
  requirements: { requirementIndex: number; requirement: Requirement }[];
}

/**
 * The tool cache: for each requirement, the newest registered tool of the tenant that was made
 * for an equal requirement (trimmed, case and white space folded). Those need no model at all.
 */
export function createFindReusableToolsActivity(stores: Stores) {
  return async function findReusableTools(input: FindReusableToolsInput): Promise<GeneratedToolRef[]> {
    const tenant = input.tenantId ?? DEFAULT_TENANT;
    const found = await Promise.all(
      input.requirements.map(async ({ requirementIndex, requirement }) => {
        const tool = await stores.tools.findReusable(tenant, requirement);
        return tool ? { requirementIndex, toolId: tool._id.toHexString(), name: tool.name } : null;
      }),
    );
    return found.filter((ref): ref is GeneratedToolRef => ref !== null);
  };
}
