/** OpenAI's rules for function tools: what a function's name may be, and the two formats we answer in. */

/** The Responses API's shape, or the Chat Completions API's (`{ type, function: {…} }`). */
export const functionFormats = ['responses', 'chat'] as const;
export type FunctionFormat = (typeof functionFormats)[number];

/** OpenAI's rule for function names. */
export const OPENAI_FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_FUNCTION_NAME_CHARS = 64;

/** Tool names are Python identifiers and already fit; anything else is made to. */
export function openAiFunctionName(name: string): string {
  const fitted = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_FUNCTION_NAME_CHARS);
  return fitted || 'tool';
}
