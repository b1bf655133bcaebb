/** A dotted Python module name, e.g. rdkit.Chem.Descriptors: what a setting or a plan may name to import. */
export const PYTHON_MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
