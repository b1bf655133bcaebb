"""Checks the held-out predicates of an evaluation suite (cli/eval/predicates.ts starts it).

One JSON request per line on stdin, {"source", "input", "output"}; one JSON answer per line on
stdout, {"passed": bool, "error": str or null}. A predicate is the suite author's Python: either an
expression over `input` (the call's arguments) and `output` (what the tool returned), with `math`
at hand, or statements that define check(input, output). It holds when the value is truthy. A
predicate that raises, even SystemExit, is a failed check, never the end of this process; what it
prints goes to stderr, so it cannot garble the answers.
"""
import json
import math
import sys


def evaluate(source, call_input, output):
    namespace = {"input": call_input, "output": output, "math": math}
    try:
        expression = compile(source, "<predicate>", "eval")
    except SyntaxError:
        exec(compile(source, "<predicate>", "exec"), namespace)
        check = namespace.get("check")
        if not callable(check):
            raise NameError("a predicate made of statements must define check(input, output)")
        return check(call_input, output)
    return eval(expression, namespace)


def answer(request):
    try:
        value = evaluate(request["source"], request["input"], request["output"])
    except BaseException as error:  # noqa: B036 - whatever the predicate does, the check fails and we go on
        return {"passed": False, "error": f"the predicate raised {type(error).__name__}: {error}"}
    if value:
        return {"passed": True, "error": None}
    return {"passed": False, "error": f"the predicate is {repr(value)[:200]} for this output"}


def main():
    answers = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        answers.write(json.dumps(answer(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
