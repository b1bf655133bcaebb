import type { ModelCall, ModelReply, ModelScript } from './scripted-model';

/** What a sensible model answers for the seed's molecular-weight requirement. */

export const molecularWeightPlan = {
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

/** Answers each structured step with the molecular-weight tool, whatever the requirement. */
export function molecularWeightScript(options: { delayMs?: number } = {}): ModelScript {
  return (call: ModelCall): ModelReply => {
    const delayMs = options.delayMs;
    if (call.schemaName === 'tool_plan') return { json: molecularWeightPlan, delayMs };
    if (call.schemaName === 'tool_implementation') return { json: molecularWeightImplementation, delayMs };
    return { status: 400, error: `the scripted model has no answer for schema ${call.schemaName}` };
  };
}
