import { z } from './zod';

/** One answer of the docs search (docs-index/): a documented name of the runtime, for the implementer's prompt. */
export const docSnippetSchema = z.strictObject({
  /** the plan's question this answers */
  query: z.string(),
  /** the documented name, e.g. rdkit.Chem.Descriptors.MolWt */
  name: z.string(),
  signature: z.string(),
  doc: z.string(),
});
export type DocSnippet = z.infer<typeof docSnippetSchema>;
