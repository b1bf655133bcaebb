"""Computes the starter suite's expected values with the libraries themselves, outside the service.

For every task of the suite files next to this script, a reference implementation written here
(RDKit, NumPy or the standard library, called directly) answers each held-out input and each
acceptance example's input. Without arguments the answers are written into the files (held-out
`expected`, example `output`); held-out calls checked by a hand-written `predicate` are not
changed, but the predicate must accept the reference answer. With --check nothing is written and
the script exits 1 when a stored value is not what the libraries compute (numbers compared within
the value's tolerance, everything else exactly, as the harness compares them).

Run it with the project's tool runtime, the venv the tools themselves run in:

    ~/.cache/toolsmith/python/venv/bin/python eval/compute_expected.py [--check]

then `npx prettier --write eval/*.json` (it changes the spacing, never a value).
"""

import collections
import datetime
import json
import math
import pathlib
import re
import sys

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors

SUITE_DIR = pathlib.Path(__file__).resolve().parent


def molecule(smiles):
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"invalid SMILES: {smiles}")
    return mol


def lipinski(smiles):
    mol = molecule(smiles)
    weight, logp = Descriptors.MolWt(mol), Crippen.MolLogP(mol)
    donors, acceptors = Lipinski.NumHDonors(mol), Lipinski.NumHAcceptors(mol)
    violations = sum([weight > 500, logp > 5, donors > 5, acceptors > 10])
    return {"molecular_weight": weight, "logp": logp, "h_bond_donors": donors, "h_bond_acceptors": acceptors,
            "violations": violations, "passes": violations <= 1}


def tanimoto(smiles_a, smiles_b):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    a, b = (generator.GetFingerprint(molecule(smiles)) for smiles in (smiles_a, smiles_b))
    return {"similarity": DataStructs.TanimotoSimilarity(a, b)}


def real_roots(coefficients):
    roots = np.roots(coefficients)
    assert np.all(np.abs(roots.imag) < 1e-9), f"complex roots for {coefficients}: {roots}"
    return {"roots": sorted(float(root) for root in roots.real)}


def linear_fit(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    predicted = slope * np.asarray(x, dtype=float) + intercept
    residual = np.sum((np.asarray(y) - predicted) ** 2)
    total = np.sum((np.asarray(y) - np.mean(y)) ** 2)
    return {"slope": float(slope), "intercept": float(intercept), "r_squared": float(1 - residual / total)}


def statistics(values):
    data = np.asarray(values, dtype=float)
    return {"mean": float(np.mean(data)), "median": float(np.median(data)), "std": float(np.std(data)),
            "min": float(np.min(data)), "max": float(np.max(data))}


ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
         (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(number):
    letters = []
    for value, symbol in ROMAN:
        count, number = divmod(number, value)
        letters.append(symbol * count)
    return {"roman": "".join(letters)}


def luhn(number):
    digits = number.replace(" ", "")
    if len(digits) < 2 or not digits.isdigit():
        return {"valid": False}
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return {"valid": total % 10 == 0}


def anagram_groups(words):
    groups = collections.defaultdict(list)
    for word in words:
        groups["".join(sorted(word.lower()))].append(word)
    return {"groups": list(groups.values())}


REFERENCES = {
    "chem-molecular-formula": lambda smiles: {"formula": rdMolDescriptors.CalcMolFormula(molecule(smiles))},
    "chem-tpsa": lambda smiles: {"tpsa": Descriptors.TPSA(molecule(smiles))},
    "chem-lipinski": lipinski,
    "chem-canonical-smiles": lambda smiles: {"canonical_smiles": Chem.MolToSmiles(molecule(smiles))},
    "chem-ring-info": lambda smiles: {"rings": rdMolDescriptors.CalcNumRings(molecule(smiles)),
                                      "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(molecule(smiles))},
    "chem-tanimoto": tanimoto,
    "num-solve-linear": lambda a, b: {"x": np.linalg.solve(np.asarray(a, float), np.asarray(b, float)).tolist()},
    "num-determinant": lambda matrix: {"determinant": float(np.linalg.det(np.asarray(matrix, float)))},
    "num-poly-roots": real_roots,
    "num-linear-fit": linear_fit,
    "num-statistics": statistics,
    "num-eigenvalues": lambda matrix: {"eigenvalues": np.linalg.eigvalsh(np.asarray(matrix, float)).tolist()},
    "py-roman-numerals": roman,
    "py-word-frequencies": lambda text: {"counts": dict(collections.Counter(re.findall("[a-z]+", text.lower())))},
    "py-luhn": luhn,
    "py-days-between": lambda start, end: {
        "days": (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days},
    "py-anagram-groups": anagram_groups,
}


def matches(actual, expected, tolerance):
    """As the harness (and the sandbox's validation) compares: numbers within tolerance, the rest exactly."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and actual is expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(actual - expected) <= tolerance
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(matches(actual[k], expected[k], tolerance) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(matches(a, e, tolerance) for a, e in zip(actual, expected))
    return actual == expected


def predicate_holds(source, call_input, output):
    """The harness's two forms: an expression over `input` and `output`, or statements defining check()."""
    namespace = {"input": call_input, "output": output, "math": math}
    try:
        return bool(eval(compile(source, "<predicate>", "eval"), namespace))
    except SyntaxError:
        exec(compile(source, "<predicate>", "exec"), namespace)
        return bool(namespace["check"](call_input, output))


def as_json(value):
    """What a tool's caller receives: the JSON round trip (tuples become lists, numpy floats plain floats)."""
    return json.loads(json.dumps(value))


def settle(task, problems, write):
    reference = REFERENCES[task["id"]]
    cases = [("example", example, "output") for example in task["requirement"].get("examples", [])]
    cases += [("held-out", held_out, "expected") for held_out in task["heldOut"]]
    for kind, case, field in cases:
        computed = as_json(reference(**case["input"]))
        where = f"{task['id']} {kind} {json.dumps(case['input'])}"
        if "predicate" in case:
            if not predicate_holds(case["predicate"], case["input"], computed):
                problems.append(f"{where}: the predicate rejects the reference answer {json.dumps(computed)}")
        elif write:
            case[field] = computed
        elif not matches(case.get(field), computed, case.get("tolerance", 0)):
            problems.append(f"{where}: stored {json.dumps(case.get(field))}, the library computes {json.dumps(computed)}")


def to_text(value, indent=0):
    """Indented JSON with the small values of a task on one line (prettier then settles the spacing)."""
    compact = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or (indent >= 4 and len(compact) + indent <= 100):
        return compact
    inner = " " * (indent + 2)
    if isinstance(value, list):
        items = [inner + to_text(item, indent + 2) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = [f"{inner}{json.dumps(key)}: {to_text(item, indent + 2)}" for key, item in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


def main():
    write = "--check" not in sys.argv[1:]
    problems, seen = [], set()
    for path in sorted(SUITE_DIR.glob("*.json")):
        suite = json.loads(path.read_text())
        for task in suite["tasks"]:
            if task["id"] not in REFERENCES:
                problems.append(f"{path.name}: task {task['id']} has no reference implementation here")
                continue
            seen.add(task["id"])
            settle(task, problems, write)
        if write:
            path.write_text(to_text(suite) + "\n")
    problems += [f"reference {task_id} has no task in the suite" for task_id in sorted(REFERENCES.keys() - seen)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(seen)} tasks {'written' if write else 'checked'}; {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
