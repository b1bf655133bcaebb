/**
 * Turning API names and documentation text into search terms, the same way for documents and
 * queries: `MolFromSmiles`, `mol_from_smiles` and "mol from smiles" all become `mol`, `smile`
 * (`from` is a stop word), and the abbreviations API names are made of are spelled out, so "the
 * molecular weight of a molecule" reaches `MolWt`.
 */

const STOP_WORDS = new Set(
  (
    'a an and are as at be by can do does for from get given how i if in into is it its me my of on ' +
    'or our should set so some than that the their then there these this those to use used using via ' +
    'want was we what when where which will with would you your'
  ).split(' '),
);

/**
 * Abbreviations common in the names of the runtime's libraries (RDKit especially: `MolWt`,
 * `GetNumAtoms`, `CalcNumRings`, `MolToSmi`), spelled out. Expansions are added next to the
 * abbreviation, never instead of it, so an exact name still matches itself.
 */
const ABBREVIATIONS = new Map<string, string[]>(
  Object.entries({
    mol: ['molecule'],
    mols: ['molecule'],
    wt: ['weight'],
    mw: ['molecular', 'weight'],
    num: ['number'],
    calc: ['calculate'],
    smi: ['smiles'],
    fp: ['fingerprint'],
    fps: ['fingerprint'],
    coord: ['coordinate'],
    coords: ['coordinate'],
    conf: ['conformer'],
    confs: ['conformer'],
    desc: ['descriptor'],
    descs: ['descriptor'],
    img: ['image'],
    im: ['image'],
    arr: ['array'],
    idx: ['index'],
    prop: ['property'],
    props: ['property'],
    std: ['standard', 'deviation'],
    avg: ['average', 'mean'],
    eig: ['eigenvalue'],
    inv: ['inverse'],
    det: ['determinant'],
    fft: ['fourier'],
    rot: ['rotate'],
    sim: ['similarity'],
  }),
);

/**
 * Splits on anything that is not a letter or digit (dots, underscores, spaces, punctuation), then
 * splits camelCase words (`MolFromSmiles` → `Mol`, `From`, `Smiles`, keeping `MolFromSmiles` too;
 * `Compute2DCoords` → `Compute`, `2D`, `Coords`).
 */
const MIXED = /[A-Z0-9]/;
const CAMEL_BOUNDARY = /(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])/;

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.split(/[^A-Za-z0-9]+/)) {
    if (!word) continue;
    if (!MIXED.test(word)) {
      tokens.push(word);
      continue;
    }
    const parts = word.split(CAMEL_BOUNDARY);
    tokens.push(...parts);
    if (parts.length > 1) tokens.push(word);
  }
  return tokens;
}

/**
 * A deliberately small suffix stripper (plural, -ing, -ed, -ation/-ate, -ular, final e): enough to
 * make molecule/molecules/molecular, parse/parses/parsing and calculate/calculation meet, without
 * a stemming library.
 */
export function stem(term: string): string {
  let word = term;
  if (word.length <= 3 || /[0-9]/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) word = `${word.slice(0, -3)}y`;
  else if (word.endsWith('sses')) word = word.slice(0, -2);
  else if (word.endsWith('s') && !/(ss|us|is)$/.test(word)) word = word.slice(0, -1);
  for (const suffix of ['ation', 'ing', 'ed', 'ate']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4) {
      word = word.slice(0, -suffix.length);
      break;
    }
  }
  if (word.endsWith('ular')) word = word.slice(0, -2);
  if (word.endsWith('e') && word.length > 4) word = word.slice(0, -1);
  return word;
}

/** One token → its search terms: none for a stop word, else the stem plus spelled-out abbreviations. */
export function processTerm(token: string): string | string[] | null {
  const lower = token.toLowerCase();
  if (lower.length < 2 || STOP_WORDS.has(lower)) return null;
  const stemmed = stem(lower);
  const expansions = ABBREVIATIONS.get(lower);
  if (!expansions) return stemmed;
  return [...new Set([stemmed, ...expansions.map(stem)])];
}

function termsOf(token: string): string[] | null {
  const terms = processTerm(token);
  return terms === null || Array.isArray(terms) ? terms : [terms];
}

/** The distinct content words of a query, each with the terms it searches for. */
export function queryWords(query: string): string[][] {
  const seen = new Map<string, string[]>();
  for (const token of tokenize(query)) {
    const terms = termsOf(token);
    if (!terms) continue;
    const key = terms[0]!;
    if (!seen.has(key)) seen.set(key, terms);
  }
  return [...seen.values()];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The parts of a query that name an API object: dotted names (`rdkit.Chem.MolFromSmiles`,
 * `np.mean`), camelCase or snake_case identifiers (`MolWt`, `array_split`), anything written as
 * a call (`mean()`), or the whole query when it is a single identifier (`mean`). Plain words of a
 * sentence are not names: "the mean of an array" is a text query.
 */
export function namesInQuery(query: string): string[] {
  const words = query.trim().split(/\s+/).filter(Boolean);
  const names: string[] = [];
  for (const raw of words) {
    const called = /\(.*\)?$/.test(raw) || raw.endsWith('(');
    const word = raw
      .replace(/^[`'"([{<]+/, '')
      .replace(/\(.*$/, '')
      .replace(/[`'",;:!?)\]}>]+$/, '')
      .replace(/\.$/, '');
    if (!IDENTIFIER.test(word)) continue;
    const codeLike = word.includes('.') || word.includes('_') || /[a-z][A-Z]/.test(word) || called;
    if (codeLike || words.length === 1) names.push(word);
  }
  return names;
}
