/**
 * A small Python tokenizer for showing generated code with colours. It only has to be right about
 * what a reader sees (comments, strings, numbers, keywords, names being defined), never about
 * Python's grammar: any text it does not recognise stays plain, and the tokens always add up to
 * the source exactly, so nothing of the code is lost or changed.
 */

export type TokenKind =
  'plain' | 'comment' | 'string' | 'number' | 'keyword' | 'builtin' | 'decorator' | 'function' | 'class' | 'operator';

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from ' +
    'global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);

const BUILTINS = new Set(
  (
    'self cls print len range enumerate zip map filter sorted reversed sum min max abs round isinstance issubclass ' +
    'hasattr getattr setattr type object int float complex str bytes bool list dict set frozenset tuple iter next ' +
    'open super any all repr format divmod pow hash id input vars dir callable ' +
    'Exception ValueError TypeError KeyError IndexError RuntimeError ZeroDivisionError AttributeError ' +
    'NotImplementedError ImportError OSError StopIteration ArithmeticError OverflowError AssertionError'
  ).split(' '),
);

const STRING_PREFIX = '(?:[rRbBuUfF]{1,2})?';
const TRIPLE_QUOTED = `"""[\\s\\S]*?(?:"""|$)|'''[\\s\\S]*?(?:'''|$)`;
// an unterminated quote runs to the end of its line, as Python's own error would point out
const SINGLE_QUOTED = `"(?:[^"\\\\\\r\\n]|\\\\[\\s\\S])*"?|'(?:[^'\\\\\\r\\n]|\\\\[\\s\\S])*'?`;
const NUMBER =
  '0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\\d[\\d_]*(?:\\.[\\d_]*)?|\\.\\d[\\d_]*)(?:[eE][+-]?\\d[\\d_]*)?[jJ]?';

/** Alternatives in priority order: a string's prefix letter must not be read as a name. */
const TOKEN = new RegExp(
  [
    `(?<comment>#[^\\r\\n]*)`,
    `(?<string>${STRING_PREFIX}(?:${TRIPLE_QUOTED}|${SINGLE_QUOTED}))`,
    `(?<name>[\\p{L}_][\\p{L}\\p{N}_]*)`,
    `(?<number>${NUMBER})`,
    `(?<decorator>@[\\p{L}_][\\p{L}\\p{N}_.]*)`,
    `(?<operator>[-+*/%=<>!&|^~:]+)`,
    `(?<other>\\s+|[\\s\\S])`,
  ].join('|'),
  'uy',
);

type Group = 'comment' | 'string' | 'name' | 'number' | 'decorator' | 'operator' | 'other';

function groupOf(match: RegExpExecArray): Group {
  const groups = match.groups ?? {};
  for (const group of ['comment', 'string', 'name', 'number', 'decorator', 'operator'] as const) {
    if (groups[group] !== undefined) return group;
  }
  return 'other';
}

/** `@` starts a decorator only at the start of a line; elsewhere it is matrix multiplication. */
function startsLine(source: string, index: number): boolean {
  const lineStart = source.lastIndexOf('\n', index - 1) + 1;
  return source.slice(lineStart, index).trim() === '';
}

function kindOfName(name: string, previousWord: string | undefined): TokenKind {
  if (previousWord === 'def') return 'function';
  if (previousWord === 'class') return 'class';
  if (KEYWORDS.has(name)) return 'keyword';
  if (BUILTINS.has(name)) return 'builtin';
  return 'plain';
}

function push(tokens: Token[], kind: TokenKind, text: string): void {
  const last = tokens.at(-1);
  if (last && last.kind === kind && kind === 'plain') last.text += text;
  else tokens.push({ kind, text });
}

export function highlightPython(source: string): Token[] {
  const tokens: Token[] = [];
  let previousWord: string | undefined;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) break; // unreachable: the last alternative takes any one character
    const text = match[0];
    const group = groupOf(match);
    switch (group) {
      case 'name':
        push(tokens, kindOfName(text, previousWord), text);
        previousWord = text;
        break;
      case 'decorator':
        if (startsLine(source, start)) push(tokens, 'decorator', text);
        else {
          push(tokens, 'operator', '@');
          TOKEN.lastIndex = start + 1; // the name after a matrix product is read on its own
        }
        previousWord = undefined;
        break;
      case 'other':
        push(tokens, 'plain', text);
        if (text.trim() !== '') previousWord = undefined;
        break;
      default:
        push(tokens, group, text);
        previousWord = undefined;
    }
  }
  return tokens;
}
