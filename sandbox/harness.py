"""Runs inside the sandbox. Trusted: it sets the limits, then loads and calls the untrusted tool.

Reads one JSON request on stdin and writes one JSON reply on the original stdout; anything the tool
prints goes to stderr so it can never forge the reply.
"""
import importlib
import importlib.util
import inspect
import json
import math
import os
import resource
import sys
import traceback

REPLY_FD = os.dup(1)
os.dup2(2, 1)


def reply(payload):
    data = json.dumps(payload, default=repr).encode()
    with os.fdopen(REPLY_FD, "wb") as out:
        out.write(data)
    sys.stdout.flush()
    os._exit(0)


def apply_limits(limits):
    def set_limit(kind, value):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass

    set_limit(resource.RLIMIT_AS, limits["memoryBytes"])
    set_limit(resource.RLIMIT_CPU, limits["cpuSeconds"])
    set_limit(resource.RLIMIT_FSIZE, limits["fileBytes"])
    set_limit(resource.RLIMIT_NPROC, limits["processes"])
    set_limit(resource.RLIMIT_CORE, 0)


def describe_exception(error):
    frames = traceback.format_exception(type(error), error, error.__traceback__)
    return {"type": type(error).__name__, "message": str(error), "traceback": "".join(frames)[-4000:]}


def load_function(source, function_name):
    os.makedirs("/tmp/tool", exist_ok=True)
    path = "/tmp/tool/generated_tool.py"
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("generated_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"the module defines no function named {function_name!r}")
    return function


def matches(actual, expected, tolerance):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected if isinstance(expected, bool) and isinstance(actual, bool) else False
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        return abs(actual - expected) <= tolerance
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(matches(actual[k], expected[k], tolerance) for k in expected)
    if isinstance(expected, list) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(matches(a, e, tolerance) for a, e in zip(actual, expected))
    return actual == expected


def to_json_value(value):
    """Round-trips through JSON: what a client of the tool would receive."""
    return json.loads(json.dumps(value, allow_nan=True))


def run_tests(request):
    try:
        function = load_function(request["source"], request["functionName"])
    except BaseException as error:  # a tool that cannot even load is a crash, not a mismatch
        return {"loaded": False, "loadError": describe_exception(error), "results": []}
    results = []
    for index, case in enumerate(request["testCases"]):
        try:
            raw = function(**case["input"])
        except BaseException as error:
            results.append({"index": index, "outcome": "exception", "error": describe_exception(error)})
            continue
        try:
            actual = to_json_value(raw)
        except (TypeError, ValueError) as error:
            results.append({"index": index, "outcome": "not_serializable", "actual": repr(raw)[:2000],
                            "error": describe_exception(error)})
            continue
        outcome = "pass" if matches(actual, case["expectedOutput"], case["tolerance"]) else "mismatch"
        results.append({"index": index, "outcome": outcome, "actual": actual})
    return {"loaded": True, "results": results}


def call_tool(request):
    try:
        function = load_function(request["source"], request["functionName"])
        return {"ok": True, "output": to_json_value(function(**request["input"]))}
    except BaseException as error:
        return {"ok": False, "error": describe_exception(error)}


def resolve(dotted_name):
    parts = dotted_name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except Exception:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted_name)


def lookup_docs(request):
    found = []
    for query in request["queries"]:
        name = query.strip().rstrip("()")
        try:
            target = resolve(name)
        except Exception:
            continue
        try:
            signature = str(inspect.signature(target))
        except (TypeError, ValueError):
            signature = ""
        found.append({"query": query, "name": name, "signature": signature,
                      "doc": (inspect.getdoc(target) or "")[: request["maxDocChars"]]})
    return {"results": found}


MODES = {"test": run_tests, "call": call_tool, "docs": lookup_docs}

if __name__ == "__main__":
    incoming = json.loads(sys.stdin.read())
    apply_limits(incoming["limits"])
    reply(MODES[incoming["mode"]](incoming))
