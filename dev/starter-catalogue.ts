import {
  catalogueScript,
  molecularWeightScript,
  standardCatalogue,
  withTestsInPlan,
  type CannedTool,
} from './canned-tools';
import type { ModelScript } from './scripted-model';

/**
 * What the scripted model answers for the starter suite's tasks (eval/*.json), so that
 * `npm run eval -- eval/` runs end to end without a model. Like a real model, it gets a few wrong:
 * - chem-ring-info: its first implementation takes every ring for aromatic; the client's
 *   cyclohexane example fails it, and the repair is right;
 * - num-statistics: it uses the sample standard deviation (ddof=1), which its own tests and the
 *   client's all-equal example cannot tell apart; the held-out calls can;
 * - py-word-frequencies: it splits on \w+, which keeps digits and accented letters as words;
 * - py-luhn: it never ignores the spaces the client's second example has, so the tool fails.
 * Every other answer is correct. The expected values in its own tests are the model's part of the
 * answer; the suite's held-out values were computed apart from these (eval/compute_expected.py).
 */

interface ModelTest {
  input: Record<string, unknown>;
  expected: unknown;
  tolerance?: number;
}

interface Implementation {
  code: string;
  tests: ModelTest[];
}

interface CannedSpec {
  matches: RegExp;
  functionName: string;
  summary: string;
  parameters: { name: string; type: string; description: string }[];
  returns: string;
  dependencies: string[];
  docQueries: string[];
  inputSchema: object;
  outputSchema: object;
  /** the first implementation, then each repair's (the last one repeats) */
  implementations: Implementation[];
}

/** The model's tests of the first implementation come with the plan, written before the code. */
function cannedTool(spec: CannedSpec): CannedTool {
  return withTestsInPlan({
    matches: spec.matches,
    plan: {
      functionName: spec.functionName,
      summary: spec.summary,
      parameters: spec.parameters,
      returns: { type: 'dict', description: spec.returns },
      dependencies: spec.dependencies,
      docQueries: spec.docQueries,
    },
    implementations: spec.implementations.map((implementation) => ({
      code: implementation.code,
      inputSchemaJson: JSON.stringify(spec.inputSchema),
      outputSchemaJson: JSON.stringify(spec.outputSchema),
      testCases: implementation.tests.map((test) => ({
        inputJson: JSON.stringify(test.input),
        expectedOutputJson: JSON.stringify(test.expected),
        tolerance: test.tolerance ?? 0,
      })),
    })),
  });
}

const objectSchema = (properties: Record<string, object>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});
const NUMBER = { type: 'number' };
const INTEGER = { type: 'integer' };
const STRING = { type: 'string' };
const NUMBERS = { type: 'array', items: NUMBER };
const MATRIX = { type: 'array', items: NUMBERS };

const SMILES_PARAMETER = { name: 'smiles', type: 'str', description: 'the molecule as a SMILES string' };
const SMILES_INPUT = objectSchema({ smiles: STRING });
const RDKIT_PARSING = ['rdkit.Chem.MolFromSmiles'];

/** A tool of one SMILES: the parsing every one of them starts with, then `body` on `mol`. */
function smilesTool(name: string, docstring: string, imports: string, body: string): string {
  return `def ${name}(smiles: str) -> dict:
    """${docstring}"""
    from rdkit import Chem
${imports ? `    ${imports}\n` : ''}
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"Invalid SMILES string: {smiles}")
${body.replace(/^/gm, '    ')}
`;
}

const chemistry: CannedTool[] = [
  cannedTool({
    matches: /molecular formula/i,
    functionName: 'molecular_formula',
    summary: 'The molecular formula of a molecule, in Hill notation, with RDKit.',
    parameters: [SMILES_PARAMETER],
    returns: '{"formula": str}',
    dependencies: ['rdkit'],
    docQueries: [...RDKIT_PARSING, 'rdkit.Chem.rdMolDescriptors.CalcMolFormula'],
    inputSchema: SMILES_INPUT,
    outputSchema: objectSchema({ formula: STRING }),
    implementations: [
      {
        code: smilesTool(
          'molecular_formula',
          'Molecular formula (Hill notation) of a molecule given as SMILES.',
          'from rdkit.Chem import rdMolDescriptors',
          'return {"formula": rdMolDescriptors.CalcMolFormula(mol)}',
        ),
        tests: [{ input: { smiles: 'O' }, expected: { formula: 'H2O' } }],
      },
    ],
  }),
  cannedTool({
    matches: /polar surface area/i,
    functionName: 'topological_polar_surface_area',
    summary: 'The topological polar surface area of a molecule, with RDKit.',
    parameters: [SMILES_PARAMETER],
    returns: '{"tpsa": float}',
    dependencies: ['rdkit'],
    docQueries: [...RDKIT_PARSING, 'rdkit.Chem.Descriptors.TPSA'],
    inputSchema: SMILES_INPUT,
    outputSchema: objectSchema({ tpsa: NUMBER }),
    implementations: [
      {
        code: smilesTool(
          'topological_polar_surface_area',
          'TPSA (Ertl) of a molecule given as SMILES, in square ångström.',
          'from rdkit.Chem import Descriptors',
          'return {"tpsa": Descriptors.TPSA(mol)}',
        ),
        tests: [{ input: { smiles: 'CCO' }, expected: { tpsa: 20.23 }, tolerance: 0.01 }],
      },
    ],
  }),
  cannedTool({
    matches: /rule of five/i,
    functionName: 'lipinski_rule_of_five',
    summary: "Lipinski's rule of five for a molecule, with RDKit.",
    parameters: [SMILES_PARAMETER],
    returns: '{"molecular_weight", "logp", "h_bond_donors", "h_bond_acceptors", "violations", "passes"}',
    dependencies: ['rdkit'],
    docQueries: [
      ...RDKIT_PARSING,
      'rdkit.Chem.Descriptors.MolWt',
      'rdkit.Chem.Crippen.MolLogP',
      'rdkit.Chem.Lipinski.NumHDonors',
      'rdkit.Chem.Lipinski.NumHAcceptors',
    ],
    inputSchema: SMILES_INPUT,
    outputSchema: objectSchema({
      molecular_weight: NUMBER,
      logp: NUMBER,
      h_bond_donors: INTEGER,
      h_bond_acceptors: INTEGER,
      violations: INTEGER,
      passes: { type: 'boolean' },
    }),
    implementations: [
      {
        code: smilesTool(
          'lipinski_rule_of_five',
          "Lipinski's rule of five: passes when at most one of its four rules is broken.",
          'from rdkit.Chem import Crippen, Descriptors, Lipinski',
          [
            'weight, logp = Descriptors.MolWt(mol), Crippen.MolLogP(mol)',
            'donors, acceptors = Lipinski.NumHDonors(mol), Lipinski.NumHAcceptors(mol)',
            'violations = sum([weight > 500, logp > 5, donors > 5, acceptors > 10])',
            'return {"molecular_weight": weight, "logp": logp, "h_bond_donors": donors,',
            '        "h_bond_acceptors": acceptors, "violations": violations, "passes": violations <= 1}',
          ].join('\n'),
        ),
        tests: [
          {
            input: { smiles: 'CCO' },
            expected: {
              molecular_weight: 46.069,
              logp: -0.0014,
              h_bond_donors: 1,
              h_bond_acceptors: 1,
              violations: 0,
              passes: true,
            },
            tolerance: 0.01,
          },
        ],
      },
    ],
  }),
  cannedTool({
    matches: /canonicalise a smiles/i,
    functionName: 'canonical_smiles',
    summary: 'The canonical SMILES of a molecule, with RDKit.',
    parameters: [{ name: 'smiles', type: 'str', description: 'a SMILES string' }],
    returns: '{"canonical_smiles": str}',
    dependencies: ['rdkit'],
    docQueries: [...RDKIT_PARSING, 'rdkit.Chem.MolToSmiles'],
    inputSchema: SMILES_INPUT,
    outputSchema: objectSchema({ canonical_smiles: STRING }),
    implementations: [
      {
        code: smilesTool(
          'canonical_smiles',
          "RDKit's canonical SMILES of the molecule.",
          '',
          'return {"canonical_smiles": Chem.MolToSmiles(mol)}',
        ),
        tests: [{ input: { smiles: 'OCC' }, expected: { canonical_smiles: 'CCO' } }],
      },
    ],
  }),
  cannedTool({
    matches: /count the rings/i,
    functionName: 'ring_counts',
    summary: 'The rings of a molecule and how many are aromatic, with RDKit.',
    parameters: [SMILES_PARAMETER],
    returns: '{"rings": int, "aromatic_rings": int}',
    dependencies: ['rdkit'],
    docQueries: [...RDKIT_PARSING, 'rdkit.Chem.rdMolDescriptors.CalcNumAromaticRings'],
    inputSchema: SMILES_INPUT,
    outputSchema: objectSchema({ rings: INTEGER, aromatic_rings: INTEGER }),
    implementations: [
      {
        code: smilesTool(
          'ring_counts',
          'Rings (SSSR) of a molecule, and the aromatic ones.',
          '',
          'rings = mol.GetRingInfo().NumRings()\nreturn {"rings": rings, "aromatic_rings": rings}',
        ),
        tests: [{ input: { smiles: 'c1ccc2ccccc2c1' }, expected: { rings: 2, aromatic_rings: 2 } }],
      },
      {
        code: smilesTool(
          'ring_counts',
          'Rings (SSSR) of a molecule, and the aromatic ones.',
          'from rdkit.Chem import rdMolDescriptors',
          'return {"rings": rdMolDescriptors.CalcNumRings(mol), "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol)}',
        ),
        tests: [{ input: { smiles: 'c1ccc2ccccc2c1' }, expected: { rings: 2, aromatic_rings: 2 } }],
      },
    ],
  }),
  cannedTool({
    matches: /tanimoto/i,
    functionName: 'tanimoto_similarity',
    summary: 'Tanimoto similarity of two molecules from Morgan fingerprints, with RDKit.',
    parameters: [
      { name: 'smiles_a', type: 'str', description: 'the first molecule' },
      { name: 'smiles_b', type: 'str', description: 'the second molecule' },
    ],
    returns: '{"similarity": float}',
    dependencies: ['rdkit'],
    docQueries: [
      ...RDKIT_PARSING,
      'rdkit.Chem.rdFingerprintGenerator.GetMorganGenerator',
      'rdkit.DataStructs.TanimotoSimilarity',
    ],
    inputSchema: objectSchema({ smiles_a: STRING, smiles_b: STRING }),
    outputSchema: objectSchema({ similarity: NUMBER }),
    implementations: [
      {
        code: `def tanimoto_similarity(smiles_a: str, smiles_b: str) -> dict:
    """Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits)."""
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fingerprints = []
    for smiles in (smiles_a, smiles_b):
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise ValueError(f"Invalid SMILES string: {smiles}")
        fingerprints.append(generator.GetFingerprint(mol))
    return {"similarity": DataStructs.TanimotoSimilarity(*fingerprints)}
`,
        tests: [{ input: { smiles_a: 'CCO', smiles_b: 'CCO' }, expected: { similarity: 1 }, tolerance: 1e-9 }],
      },
    ],
  }),
];

/** A NumPy tool: `signature` and `body` after the import. */
function numpyTool(name: string, signature: string, docstring: string, body: string): string {
  return `def ${name}(${signature}) -> dict:
    """${docstring}"""
    import numpy as np

${body.replace(/^/gm, '    ')}
`;
}

const numerics: CannedTool[] = [
  cannedTool({
    matches: /linear system/i,
    functionName: 'solve_linear_system',
    summary: 'Solve A·x = b with NumPy.',
    parameters: [
      { name: 'a', type: 'list[list[float]]', description: 'the square matrix' },
      { name: 'b', type: 'list[float]', description: 'the right-hand side' },
    ],
    returns: '{"x": list[float]}',
    dependencies: ['numpy'],
    docQueries: ['numpy.linalg.solve'],
    inputSchema: objectSchema({ a: MATRIX, b: NUMBERS }),
    outputSchema: objectSchema({ x: NUMBERS }),
    implementations: [
      {
        code: numpyTool(
          'solve_linear_system',
          'a: list, b: list',
          'The solution x of a·x = b.',
          'return {"x": np.linalg.solve(np.asarray(a, dtype=float), np.asarray(b, dtype=float)).tolist()}',
        ),
        tests: [
          {
            input: {
              a: [
                [1, 0],
                [0, 1],
              ],
              b: [3, 4],
            },
            expected: { x: [3, 4] },
            tolerance: 1e-9,
          },
        ],
      },
    ],
  }),
  cannedTool({
    matches: /determinant/i,
    functionName: 'matrix_determinant',
    summary: 'The determinant of a square matrix with NumPy.',
    parameters: [{ name: 'matrix', type: 'list[list[float]]', description: 'the square matrix' }],
    returns: '{"determinant": float}',
    dependencies: ['numpy'],
    docQueries: ['numpy.linalg.det'],
    inputSchema: objectSchema({ matrix: MATRIX }),
    outputSchema: objectSchema({ determinant: NUMBER }),
    implementations: [
      {
        code: numpyTool(
          'matrix_determinant',
          'matrix: list',
          'The determinant of the matrix.',
          'return {"determinant": float(np.linalg.det(np.asarray(matrix, dtype=float)))}',
        ),
        tests: [
          {
            input: {
              matrix: [
                [2, 0],
                [0, 3],
              ],
            },
            expected: { determinant: 6 },
            tolerance: 1e-9,
          },
        ],
      },
    ],
  }),
  cannedTool({
    matches: /roots of a polynomial/i,
    functionName: 'polynomial_roots',
    summary: 'The real roots of a polynomial with NumPy, ascending.',
    parameters: [{ name: 'coefficients', type: 'list[float]', description: 'highest degree first' }],
    returns: '{"roots": list[float]}',
    dependencies: ['numpy'],
    docQueries: ['numpy.roots'],
    inputSchema: objectSchema({ coefficients: NUMBERS }),
    outputSchema: objectSchema({ roots: NUMBERS }),
    implementations: [
      {
        code: numpyTool(
          'polynomial_roots',
          'coefficients: list',
          'The roots, all real, in ascending order.',
          'roots = np.roots(np.asarray(coefficients, dtype=float))\nreturn {"roots": sorted(float(root) for root in np.real(roots))}',
        ),
        tests: [{ input: { coefficients: [1, -5, 6] }, expected: { roots: [2, 3] }, tolerance: 1e-9 }],
      },
    ],
  }),
  cannedTool({
    matches: /least squares/i,
    functionName: 'linear_fit',
    summary: 'A least-squares straight line and its R², with NumPy.',
    parameters: [
      { name: 'x', type: 'list[float]', description: 'x coordinates' },
      { name: 'y', type: 'list[float]', description: 'y coordinates' },
    ],
    returns: '{"slope": float, "intercept": float, "r_squared": float}',
    dependencies: ['numpy'],
    docQueries: ['numpy.polyfit'],
    inputSchema: objectSchema({ x: NUMBERS, y: NUMBERS }),
    outputSchema: objectSchema({ slope: NUMBER, intercept: NUMBER, r_squared: NUMBER }),
    implementations: [
      {
        code: numpyTool(
          'linear_fit',
          'x: list, y: list',
          'Slope, intercept and R² of the least-squares line.',
          [
            'xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)',
            'slope, intercept = np.polyfit(xs, ys, 1)',
            'residual = np.sum((ys - (slope * xs + intercept)) ** 2)',
            'total = np.sum((ys - ys.mean()) ** 2)',
            'return {"slope": float(slope), "intercept": float(intercept), "r_squared": float(1 - residual / total)}',
          ].join('\n'),
        ),
        tests: [
          {
            input: { x: [0, 1, 2], y: [1, 2, 3] },
            expected: { slope: 1, intercept: 1, r_squared: 1 },
            tolerance: 1e-9,
          },
        ],
      },
    ],
  }),
  cannedTool({
    matches: /population standard deviation/i,
    functionName: 'describe_values',
    summary: 'Mean, median, standard deviation, minimum and maximum with NumPy.',
    parameters: [{ name: 'values', type: 'list[float]', description: 'the numbers' }],
    returns: '{"mean", "median", "std", "min", "max"}',
    dependencies: ['numpy'],
    docQueries: ['numpy.std', 'numpy.median'],
    inputSchema: objectSchema({ values: NUMBERS }),
    outputSchema: objectSchema({ mean: NUMBER, median: NUMBER, std: NUMBER, min: NUMBER, max: NUMBER }),
    implementations: [
      {
        code: numpyTool(
          'describe_values',
          'values: list',
          'Summary statistics of the values.',
          [
            'data = np.asarray(values, dtype=float)',
            'return {"mean": float(data.mean()), "median": float(np.median(data)), "std": float(np.std(data, ddof=1)),',
            '        "min": float(data.min()), "max": float(data.max())}',
          ].join('\n'),
        ),
        tests: [
          {
            input: { values: [1, 2, 3, 4] },
            expected: { mean: 2.5, median: 2.5, std: 1.2909944487358056, min: 1, max: 4 },
            tolerance: 1e-9,
          },
        ],
      },
    ],
  }),
  cannedTool({
    matches: /eigenvalues/i,
    functionName: 'symmetric_eigenvalues',
    summary: 'The eigenvalues of a real symmetric matrix with NumPy, ascending.',
    parameters: [{ name: 'matrix', type: 'list[list[float]]', description: 'a real symmetric matrix' }],
    returns: '{"eigenvalues": list[float]}',
    dependencies: ['numpy'],
    docQueries: ['numpy.linalg.eigvalsh'],
    inputSchema: objectSchema({ matrix: MATRIX }),
    outputSchema: objectSchema({ eigenvalues: NUMBERS }),
    implementations: [
      {
        code: numpyTool(
          'symmetric_eigenvalues',
          'matrix: list',
          'Eigenvalues of a symmetric matrix, in ascending order.',
          'return {"eigenvalues": np.linalg.eigvalsh(np.asarray(matrix, dtype=float)).tolist()}',
        ),
        tests: [
          {
            input: {
              matrix: [
                [1, 0],
                [0, 2],
              ],
            },
            expected: { eigenvalues: [1, 2] },
            tolerance: 1e-9,
          },
        ],
      },
    ],
  }),
];

const plainPython: CannedTool[] = [
  cannedTool({
    matches: /roman numeral/i,
    functionName: 'to_roman_numeral',
    summary: 'A whole number as a Roman numeral.',
    parameters: [{ name: 'number', type: 'int', description: '1 to 3999' }],
    returns: '{"roman": str}',
    dependencies: [],
    docQueries: [],
    inputSchema: objectSchema({ number: INTEGER }),
    outputSchema: objectSchema({ roman: STRING }),
    implementations: [
      {
        code: `def to_roman_numeral(number: int) -> dict:
    """The Roman numeral of a number from 1 to 3999."""
    if not 1 <= number <= 3999:
        raise ValueError("number must be from 1 to 3999")
    symbols = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
               (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    roman = ""
    for value, symbol in symbols:
        while number >= value:
            roman += symbol
            number -= value
    return {"roman": roman}
`,
        tests: [{ input: { number: 3 }, expected: { roman: 'III' } }],
      },
    ],
  }),
  cannedTool({
    matches: /how often each word/i,
    functionName: 'word_frequencies',
    summary: 'How often each word occurs in a text.',
    parameters: [{ name: 'text', type: 'str', description: 'the text' }],
    returns: '{"counts": dict[str, int]}',
    dependencies: [],
    docQueries: [],
    inputSchema: objectSchema({ text: STRING }),
    outputSchema: objectSchema({ counts: { type: 'object', additionalProperties: INTEGER } }),
    implementations: [
      {
        code: `def word_frequencies(text: str) -> dict:
    """Counts of the words of the lower-cased text."""
    import collections
    import re

    return {"counts": dict(collections.Counter(re.findall(r"\\w+", text.lower())))}
`,
        tests: [{ input: { text: 'a b a' }, expected: { counts: { a: 2, b: 1 } } }],
      },
    ],
  }),
  cannedTool({
    matches: /luhn/i,
    functionName: 'luhn_valid',
    summary: 'The Luhn checksum of a number.',
    parameters: [{ name: 'number', type: 'str', description: 'the digits' }],
    returns: '{"valid": bool}',
    dependencies: [],
    docQueries: [],
    inputSchema: objectSchema({ number: STRING }),
    outputSchema: objectSchema({ valid: { type: 'boolean' } }),
    implementations: [
      {
        code: `def luhn_valid(number: str) -> dict:
    """Whether the number passes the Luhn check."""
    digits = [int(character) for character in number]
    if len(digits) < 2:
        return {"valid": False}
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return {"valid": total % 10 == 0}
`,
        tests: [{ input: { number: '79927398713' }, expected: { valid: true } }],
      },
    ],
  }),
  cannedTool({
    matches: /days from one calendar date/i,
    functionName: 'days_between',
    summary: 'The days from one ISO date to another.',
    parameters: [
      { name: 'start', type: 'str', description: 'YYYY-MM-DD' },
      { name: 'end', type: 'str', description: 'YYYY-MM-DD' },
    ],
    returns: '{"days": int}',
    dependencies: [],
    docQueries: [],
    inputSchema: objectSchema({ start: STRING, end: STRING }),
    outputSchema: objectSchema({ days: INTEGER }),
    implementations: [
      {
        code: `def days_between(start: str, end: str) -> dict:
    """Days from start to end (negative when end is earlier)."""
    from datetime import date

    return {"days": (date.fromisoformat(end) - date.fromisoformat(start)).days}
`,
        tests: [{ input: { start: '2024-01-01', end: '2024-01-31' }, expected: { days: 30 } }],
      },
    ],
  }),
  cannedTool({
    matches: /anagrams/i,
    functionName: 'anagram_groups',
    summary: 'Words grouped by the letters they are made of.',
    parameters: [{ name: 'words', type: 'list[str]', description: 'the words' }],
    returns: '{"groups": list[list[str]]}',
    dependencies: [],
    docQueries: [],
    inputSchema: objectSchema({ words: { type: 'array', items: STRING } }),
    outputSchema: objectSchema({ groups: { type: 'array', items: { type: 'array', items: STRING } } }),
    implementations: [
      {
        code: `def anagram_groups(words: list) -> dict:
    """Groups of words that are anagrams of each other, ignoring case."""
    groups = {}
    for word in words:
        groups.setdefault("".join(sorted(word.lower())), []).append(word)
    return {"groups": list(groups.values())}
`,
        tests: [{ input: { words: ['ab', 'ba'] }, expected: { groups: [['ab', 'ba']] } }],
      },
    ],
  }),
];

export const starterSuiteCatalogue: CannedTool[] = [...chemistry, ...numerics, ...plainPython];

/**
 * What `npm run scripted-model` answers: a requirement it knows (the starter suite's, the tests'
 * catalogue) gets its canned tool; anything else the molecular-weight tool, as it always has.
 */
export function scriptedModelAnswers(): ModelScript {
  const known = catalogueScript([...starterSuiteCatalogue, ...standardCatalogue]);
  const fallback = molecularWeightScript();
  return (call) => {
    const reply = known(call);
    return 'status' in reply ? fallback(call) : reply;
  };
}
