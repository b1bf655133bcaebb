/**
 * What each warm sandbox (sandbox/pool.ts) imports once, before any call: the modules the
 * molecular-weight tool and most RDKit/NumPy tools import, about 170 ms a cold run spends.
 */
export const DEFAULT_PRELOAD = [
  'numpy',
  'rdkit',
  'rdkit.Chem',
  'rdkit.Chem.Descriptors',
  'rdkit.Chem.AllChem',
  'PIL.Image',
];

/** A dotted Python module name, e.g. rdkit.Chem.Descriptors. */
export const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
