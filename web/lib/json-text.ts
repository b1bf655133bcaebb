/** JSON a person typed: its value, or what is wrong with it in words a form can show. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; problem: string };

export function parseJsonText(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `is not valid JSON (${(error as Error).message})` };
  }
}
