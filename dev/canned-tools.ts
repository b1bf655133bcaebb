import type { AcceptanceExample, ToolRequirement } from '../contract';
import { TESTS_WRITTEN_APART } from '../llm/prompts';
import { toImplementedTool, toolImplementationSchema, type ImplementedTool } from '../llm/schemas';
import type { ModelCall, ModelReply, ModelScript } from './scripted-model';

/** What a sensible model answers for the seed's molecular-weight requirement. */

const molecularWeightPlanShape = {
  functionName: 'calculate_molecular_weight',
  summary: 'Calculate the molecular weight of a compound from its SMILES string using RDKit.',
  parameters: [{ name: 'smiles', type: 'str', description: 'SMILES string of the molecule' }],
  returns: { type: 'dict', description: '{"molecular_weight": float} in g/mol' },
  dependencies: ['rdkit'],
  docQueries: ['rdkit.Chem.MolFromSmiles', 'rdkit.Chem.Descriptors.MolWt'],
};

export const molecularWeightCode = `"""
Generated Tool: Calculate Molecular Weight
Description: Calculate molecular weight from SMILES string using RDKit
Dependencies: rdkit
"""

from typing import Dict


def calculate_molecular_weight(smiles: str) -> Dict[str, float]:
    """Calculate the molecular weight (g/mol) of a compound from its SMILES string.

    Args:
        smiles: SMILES string representation of the molecule

    Returns:
        {"molecular_weight": float}

    Raises:
        ValueError: if the SMILES string is invalid
    """
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"Invalid SMILES string: {smiles}")
    return {"molecular_weight": Descriptors.MolWt(mol)}
`;

export function implementationReply(
  code: string,
  testCases: { input: object; expected: unknown; tolerance: number }[],
) {
  return {
    code,
    inputSchemaJson: JSON.stringify({
      type: 'object',
      properties: { smiles: { type: 'string' } },
      required: ['smiles'],
    }),
    outputSchemaJson: JSON.stringify({
      type: 'object',
      properties: { molecular_weight: { type: 'number' } },
      required: ['molecular_weight'],
    }),
    testCases: testCases.map((testCase) => ({
      inputJson: JSON.stringify(testCase.input),
      expectedOutputJson: JSON.stringify(testCase.expected),
      tolerance: testCase.tolerance,
    })),
  };
}

export const molecularWeightImplementation = implementationReply(molecularWeightCode, [
  { input: { smiles: 'CCO' }, expected: { molecular_weight: 46.069 }, tolerance: 0.01 },
  { input: { smiles: 'O' }, expected: { molecular_weight: 18.015 }, tolerance: 0.01 },
]);

/** An implementation reply's tests as the planner writes them, with the plan, before any code (contract/tool-plan.ts). */
export function plannedTests(implementation: object) {
  const { testCases } = implementation as {
    testCases: { inputJson: string; expectedOutputJson: string; tolerance: number }[];
  };
  return testCases.map((testCase) => ({
    inputJson: testCase.inputJson,
    reasoning: 'worked out by hand from the requirement',
    expectedOutputJson: testCase.expectedOutputJson,
    raises: null,
    match: null,
    tolerance: testCase.tolerance,
  }));
}

/** The canned tool with the tests of its first implementation in its plan, where the planner writes them. */
export function withTestsInPlan(tool: CannedTool): CannedTool {
  return { ...tool, plan: { ...tool.plan, testCases: plannedTests(tool.implementations[0]!) } };
}

export const molecularWeightPlan = {
  ...molecularWeightPlanShape,
  testCases: plannedTests(molecularWeightImplementation),
};

/**
 * An implementation as the prompt asks for it: with its own tests when the plan had none (the
 * compatibility path), else the code and schemas only, and on a repair no test corrections.
 */
export function implementationAnswer(call: ModelCall, implementation: object): object {
  const system = call.messages.find((message) => message.role === 'system')?.content ?? '';
  if (!system.includes(TESTS_WRITTEN_APART)) return implementation;
  const { testCases: _tests, ...codeOnly } = implementation as { testCases?: unknown };
  return attemptOf(call) > 1 ? { testCorrections: [], ...codeOnly } : codeOnly;
}

/**
 * The seed's "invalid SMILES → error" as an acceptance example: the molecular-weight code raises a
 * ValueError ("Invalid SMILES string: …") for it, so a tool made from it passes the example.
 */
export const invalidSmilesExample = {
  input: { smiles: 'not-a-molecule' },
  raises: 'ValueError',
  match: 'Invalid SMILES',
} satisfies AcceptanceExample;

/** The seed's molecular-weight requirement with acceptance examples, one of them expecting the error. */
export const molecularWeightRequirementWithErrorExample = {
  description: 'Calculate the molecular weight of a chemical compound from its SMILES string. Please use RDKit.',
  input: 'SMILES string of the molecule',
  output: 'molecular weight; an invalid SMILES string is a ValueError',
  examples: [{ input: { smiles: 'CCO' }, output: { molecular_weight: 46.069 }, tolerance: 0.01 }, invalidSmilesExample],
} satisfies ToolRequirement;

/**
 * The molecular-weight implementation as the draft validation gets for that requirement: the two
 * acceptance examples (the second expecting the ValueError), then its own two tests. It passes.
 */
export const molecularWeightDraftWithErrorTest: ImplementedTool = toImplementedTool(
  toolImplementationSchema.parse(molecularWeightImplementation),
  molecularWeightRequirementWithErrorExample.examples,
);

/** Answers each structured step with the molecular-weight tool, whatever the requirement. */
export function molecularWeightScript(options: { delayMs?: number } = {}): ModelScript {
  return (call: ModelCall): ModelReply => {
    const delayMs = options.delayMs;
    if (call.schemaName === 'tool_plan') return { json: molecularWeightPlan, delayMs };
    if (call.schemaName === 'tool_implementation') {
      return { json: implementationAnswer(call, molecularWeightImplementation), delayMs };
    }
    return { status: 400, error: `the scripted model has no answer for schema ${call.schemaName}` };
  };
}

/** A requirement the scripted model recognises, with its plan and its implementation per attempt. */
export interface CannedTool {
  matches: RegExp;
  plan: object;
  /** attempt 1 gets the first, a repair the next; the last one repeats */
  implementations: object[];
}

function requirementText(call: ModelCall): string {
  return call.messages.find((message) => message.role === 'user')?.content ?? '';
}

/** The implement prompt names the failed attempt on a repair ("Attempt 2 failed validation"). */
export function attemptOf(call: ModelCall): number {
  const repaired = /Attempt (\d+) failed validation/.exec(requirementText(call));
  return repaired ? Number(repaired[1]) + 1 : 1;
}

/** Like a model reading its prompt: the function gets the name the (possibly renamed) plan gives it. */
function followPlannedName(tool: CannedTool, implementation: object, prompt: string): object {
  const cannedName = (tool.plan as { functionName: string }).functionName;
  const plannedName = /"functionName": "([a-z0-9_]+)"/.exec(prompt)?.[1] ?? cannedName;
  const { code } = implementation as { code: string };
  return { ...implementation, code: code.replace(`def ${cannedName}(`, `def ${plannedName}(`) };
}

export function catalogueScript(
  catalogue: CannedTool[],
  options: { delayMs?: number } = {},
): (call: ModelCall) => ModelReply {
  return (call: ModelCall): ModelReply => {
    const text = requirementText(call);
    const description = /^Description: (.*)$/m.exec(text)?.[1] ?? '';
    const tool = catalogue.find((entry) => entry.matches.test(description));
    if (!tool)
      return { status: 400, error: `the scripted model does not know this requirement: ${text.slice(0, 200)}` };
    if (call.schemaName === 'tool_plan') return { json: tool.plan, delayMs: options.delayMs };
    if (call.schemaName === 'tool_implementation') {
      const index = Math.min(attemptOf(call), tool.implementations.length) - 1;
      const implementation = implementationAnswer(call, tool.implementations[index]!);
      return { json: followPlannedName(tool, implementation, text), delayMs: options.delayMs };
    }
    return { status: 400, error: `the scripted model has no answer for schema ${call.schemaName}` };
  };
}

export const molecularWeightTool: CannedTool = {
  matches: /molecular weight/i,
  plan: molecularWeightPlan,
  implementations: [molecularWeightImplementation],
};

const averageMassImplementations = [
  implementationReply(
    molecularWeightCode
      .replace('def calculate_molecular_weight', 'def average_molecular_mass')
      .replace('Descriptors.MolWt(mol)', 'Descriptors.ExactMolWt(mol)'),
    [{ input: { smiles: 'CCO' }, expected: { molecular_weight: 46.069 }, tolerance: 0.01 }],
  ),
  implementationReply(molecularWeightCode.replace('def calculate_molecular_weight', 'def average_molecular_mass'), [
    { input: { smiles: 'CCO' }, expected: { molecular_weight: 46.069 }, tolerance: 0.01 },
  ]),
];

/** First attempt uses the monoisotopic mass (46.042) where the tests expect the average weight: a repair fixes it. */
export const molecularWeightNeedingRepair: CannedTool = withTestsInPlan({
  matches: /average molecular mass/i,
  plan: { ...molecularWeightPlanShape, functionName: 'average_molecular_mass' },
  implementations: averageMassImplementations,
});

const temperatureCode = `def convert_temperature(value: float, from_unit: str, to_unit: str) -> dict:
    """Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K)."""
    to_kelvin = {"C": lambda v: v + 273.15, "F": lambda v: (v - 32) * 5 / 9 + 273.15, "K": lambda v: v}
    from_kelvin = {"C": lambda k: k - 273.15, "F": lambda k: (k - 273.15) * 9 / 5 + 32, "K": lambda k: k}
    if from_unit not in to_kelvin or to_unit not in from_kelvin:
        raise ValueError("units must be C, F or K")
    return {"value": from_kelvin[to_unit](to_kelvin[from_unit](value)), "unit": to_unit}
`;

export const temperatureTool: CannedTool = withTestsInPlan({
  matches: /temperature/i,
  plan: {
    functionName: 'convert_temperature',
    summary: 'Convert a temperature between Celsius, Fahrenheit and Kelvin.',
    parameters: [
      { name: 'value', type: 'float', description: 'the temperature' },
      { name: 'from_unit', type: 'str', description: 'C, F or K' },
      { name: 'to_unit', type: 'str', description: 'C, F or K' },
    ],
    returns: { type: 'dict', description: '{"value": float, "unit": str}' },
    dependencies: [],
    docQueries: [],
  },
  implementations: [
    {
      code: temperatureCode,
      inputSchemaJson: JSON.stringify({ type: 'object', required: ['value', 'from_unit', 'to_unit'] }),
      outputSchemaJson: JSON.stringify({
        type: 'object',
        properties: { value: { type: 'number' }, unit: { type: 'string' } },
        required: ['value', 'unit'],
      }),
      testCases: [
        {
          inputJson: JSON.stringify({ value: 100, from_unit: 'C', to_unit: 'F' }),
          expectedOutputJson: JSON.stringify({ value: 212, unit: 'F' }),
          tolerance: 1e-6,
        },
        {
          inputJson: JSON.stringify({ value: 0, from_unit: 'K', to_unit: 'C' }),
          expectedOutputJson: JSON.stringify({ value: -273.15, unit: 'C' }),
          tolerance: 1e-6,
        },
      ],
    },
  ],
});

/** No code can predict the next lottery draw: every attempt fails its own test. */
export const impossibleTool: CannedTool = withTestsInPlan({
  matches: /lottery/i,
  plan: {
    functionName: 'predict_lottery_numbers',
    summary: 'Predict the next lottery draw.',
    parameters: [{ name: 'draw_date', type: 'str', description: 'date of the draw' }],
    returns: { type: 'dict', description: '{"numbers": list[int]}' },
    dependencies: [],
    docQueries: [],
  },
  implementations: [
    {
      code: 'import random\n\ndef predict_lottery_numbers(draw_date: str) -> dict:\n    """Guess."""\n    return {"numbers": sorted(random.sample(range(1, 50), 6))}\n',
      inputSchemaJson: JSON.stringify({ type: 'object', required: ['draw_date'] }),
      outputSchemaJson: JSON.stringify({ type: 'object', required: ['numbers'] }),
      testCases: [
        {
          inputJson: JSON.stringify({ draw_date: '2027-01-01' }),
          expectedOutputJson: JSON.stringify({ numbers: [4, 8, 15, 16, 23, 42] }),
          tolerance: 0,
        },
      ],
    },
  ],
});

export const standardCatalogue: CannedTool[] = [
  molecularWeightNeedingRepair,
  molecularWeightTool,
  temperatureTool,
  impossibleTool,
];

// ---- tools for the real-endpoint habits (test/e2e/model-habits.test.ts) ----

const renamed = (name: string, code = molecularWeightCode) =>
  code.replace('def calculate_molecular_weight(', `def ${name}(`);

/** Its code comes in a Markdown fence inside the code field (```python … ```), as models often send it; the fence goes before validation. */
export const fencedCodeTool: CannedTool = withTestsInPlan({
  matches: /molar mass/i,
  plan: { ...molecularWeightPlanShape, functionName: 'molar_mass' },
  implementations: [
    implementationReply(`\`\`\`python\n${renamed('molar_mass')}\`\`\`\n`, [
      { input: { smiles: 'CCO' }, expected: { molecular_weight: 46.069 }, tolerance: 0.01 },
      { input: { smiles: 'O' }, expected: { molecular_weight: 18.015 }, tolerance: 0.01 },
    ]),
  ],
});

/** A planned test that expects the ValueError of an invalid SMILES string (an unclosed ring). */
export const plannedInvalidSmilesTest = {
  inputJson: JSON.stringify({ smiles: 'C1CC' }),
  reasoning: 'an unclosed ring is not a molecule: the requirement says an invalid SMILES string is a ValueError',
  expectedOutputJson: null,
  raises: 'ValueError',
  match: 'Invalid SMILES',
  tolerance: 0,
};

/**
 * For the seed's requirement with its "invalid SMILES → error" example
 * (molecularWeightRequirementWithErrorExample): the plan's own tests expect the error too.
 */
export const molecularWeightWithErrorTests: CannedTool = {
  matches: /molecular weight of a chemical compound/i,
  plan: { ...molecularWeightPlan, testCases: [...molecularWeightPlan.testCases, plannedInvalidSmilesTest] },
  implementations: [molecularWeightImplementation],
};

/** The seed's requirement with the error example, under another description (one weighModelIgnoringErrors answers). */
export const weighMoleculeRequirement = {
  ...molecularWeightRequirementWithErrorExample,
  description: 'Weigh a molecule given as SMILES with RDKit; an invalid SMILES string is a ValueError.',
} satisfies ToolRequirement;

/**
 * Its first implementation answers an invalid SMILES string with a weight of 0 instead of the
 * ValueError the client's example expects; the repair raises it.
 */
export const weighMoleculeIgnoringErrors: CannedTool = withTestsInPlan({
  matches: /weigh a molecule/i,
  plan: { ...molecularWeightPlanShape, functionName: 'weigh_molecule' },
  implementations: [
    renamed('weigh_molecule').replace(
      'raise ValueError(f"Invalid SMILES string: {smiles}")',
      'return {"molecular_weight": 0.0}',
    ),
    renamed('weigh_molecule'),
  ].map((code) =>
    implementationReply(code, [{ input: { smiles: 'O' }, expected: { molecular_weight: 18.015 }, tolerance: 0.01 }]),
  ),
});

/** What the repair of molecularMassWithWrongTest says about its planned test 1. */
export const wrongTestCorrection = {
  test: 'test 1',
  reason:
    'ethanol weighs 46.069 g/mol on average; 46.042 is its monoisotopic mass, which the requirement does not ask for',
  expectedOutputJson: JSON.stringify({ molecular_weight: 46.069 }),
  raises: null,
  match: null,
};

/**
 * The planner's test 1 expects ethanol's monoisotopic mass (46.042) where the code is right to
 * return its average weight (46.069): the repair keeps the code and corrects the test, with a reason.
 */
export const molecularMassWithWrongTest: CannedTool = withTestsInPlan({
  matches: /^give the molecular mass/i,
  plan: { ...molecularWeightPlanShape, functionName: 'molecular_mass' },
  implementations: [
    implementationReply(renamed('molecular_mass'), [
      { input: { smiles: 'CCO' }, expected: { molecular_weight: 46.042 }, tolerance: 0.01 },
      { input: { smiles: 'O' }, expected: { molecular_weight: 18.015 }, tolerance: 0.01 },
    ]),
    { ...implementationReply(renamed('molecular_mass'), []), testCorrections: [wrongTestCorrection] },
  ],
});

/** The tools above, then the standard ones: what test/e2e/model-habits.test.ts's scripted model knows. */
export const habitsCatalogue: CannedTool[] = [
  fencedCodeTool,
  molecularWeightWithErrorTests,
  weighMoleculeIgnoringErrors,
  molecularMassWithWrongTest,
  ...standardCatalogue,
];
