"""Runs inside the sandbox. Trusted: it sets the limits, then loads and calls the untrusted tool.

Protocol (see sandbox/runner.ts): one JSON request on stdin; the reply channel is fd 3, which
carries READY_LINE as soon as the interpreter is up (proof that bubblewrap started the sandbox),
then one line of JSON. The tool's own prints go to stdout/stderr, never into the reply channel.

Process layout: this process (the supervisor) forks the worker that applies the rlimits and runs
the tool. When the worker ends, however it ends, the supervisor kills every other process left in
the sandbox's PID namespace (bubblewrap's init would otherwise wait for a fork bomb's orphans)
and exits with the worker's status (128 + signal when it was killed, 152 for the CPU limit).
"""
import errno
import importlib
import importlib.util
import json
import math
import os
import resource
import signal
import sys
import traceback

REPLY_FD = 3
READY_LINE = b"TOOLSMITH-HARNESS-READY\n"
WORKER_PID = None
LIMITS = {}


def reply(payload):
    """Writes the reply once, from the worker only: a tool's forked child can never reply."""
    if os.getpid() != WORKER_PID:
        os._exit(0)
    data = json.dumps(payload, default=repr).encode() + b"\n"
    view = memoryview(data)
    while view:
        view = view[os.write(REPLY_FD, view):]
    os._exit(0)


def apply_limits(limits):
    def set_limit(kind, soft, hard=None):
        try:
            resource.setrlimit(kind, (soft, soft if hard is None else hard))
        except (ValueError, OSError):
            pass

    set_limit(resource.RLIMIT_AS, limits["memoryBytes"])
    # SIGXCPU (default action: terminate) at the soft limit; SIGKILL one second later if ignored.
    set_limit(resource.RLIMIT_CPU, limits["cpuSeconds"], limits["cpuSeconds"] + 1)
    set_limit(resource.RLIMIT_FSIZE, limits["fileBytes"])
    # Only effective when the sandbox does not map to host root; the runner adds a cgroup otherwise.
    set_limit(resource.RLIMIT_NPROC, limits["processes"])
    set_limit(resource.RLIMIT_CORE, 0)


def limit_of(error):
    """Which sandbox limit an exception most likely comes from, or None."""
    if isinstance(error, MemoryError):
        return "memory"
    if isinstance(error, OSError):
        if error.errno == errno.EAGAIN:
            return "processes"  # fork/clone failing; the runner confirms with the cgroup's count
        if error.errno in (errno.EFBIG, errno.ENOSPC):
            return "file_size"
    if isinstance(error, RuntimeError) and "can't start new thread" in str(error):
        return "processes"
    return None


def limit_hint(kind):
    if kind == "memory":
        return f"the sandbox allows {LIMITS['memoryBytes'] // (1024 * 1024)} MB of memory"
    if kind == "processes":
        return f"the sandbox allows at most {LIMITS['processes']} processes and threads"
    if kind == "file_size":
        return f"the sandbox allows files of at most {LIMITS['fileBytes']} bytes, only under /tmp"
    return ""


def describe_exception(error):
    frames = traceback.format_exception(type(error), error, error.__traceback__)
    described = {"type": type(error).__name__, "message": str(error), "traceback": "".join(frames)[-4000:]}
    kind = limit_of(error)
    if kind:
        described["limit"] = kind
        described["message"] = f"{described['message']} ({limit_hint(kind)})".lstrip()
    return described


def invoke(function, arguments):
    """Calls the tool; a child the tool forked that comes back here just ends."""
    try:
        return function(**arguments)
    finally:
        if os.getpid() != WORKER_PID:
            os._exit(0)


def load_function(source, function_name):
    os.makedirs("/tmp/tool", exist_ok=True)
    path = "/tmp/tool/generated_tool.py"
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("generated_tool", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        if os.getpid() != WORKER_PID:
            os._exit(0)
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
            raw = invoke(function, case["input"])
        except BaseException as error:
            results.append({"index": index, "outcome": "exception", "error": describe_exception(error)})
            continue
        try:
            actual = to_json_value(raw)
        except (TypeError, ValueError, RecursionError) as error:
            results.append({"index": index, "outcome": "not_serializable", "actual": repr(raw)[:2000],
                            "error": describe_exception(error)})
            continue
        outcome = "pass" if matches(actual, case["expectedOutput"], case["tolerance"]) else "mismatch"
        results.append({"index": index, "outcome": outcome, "actual": actual})
    return {"loaded": True, "results": results}


def call_tool(request):
    try:
        function = load_function(request["source"], request["functionName"])
        return {"ok": True, "output": to_json_value(invoke(function, request["input"]))}
    except BaseException as error:
        return {"ok": False, "error": describe_exception(error)}


def probe(_request):
    """What the sandbox looks like from inside: the runner's verify() checks the isolation."""
    import socket

    return {"uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid(),
            "interfaces": sorted(name for _, name in socket.if_nameindex()),
            "environment": sorted(os.environ)}


MODES = {"test": run_tests, "call": call_tool, "probe": probe}


def run_worker(request):
    global WORKER_PID, LIMITS
    WORKER_PID = os.getpid()
    LIMITS = request["limits"]
    apply_limits(LIMITS)
    try:
        payload = MODES[request["mode"]](request)
    except BaseException as error:
        payload = {"harnessError": describe_exception(error)}
    reply(payload)


def exit_status(status, usage):
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        cpu_limit = LIMITS.get("cpuSeconds")
        if number == signal.SIGKILL and cpu_limit and usage.ru_utime + usage.ru_stime >= cpu_limit:
            number = signal.SIGXCPU  # ignored SIGXCPU, then the hard limit's SIGKILL
        return 128 + number
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def main():
    global LIMITS
    os.write(REPLY_FD, READY_LINE)
    request = json.loads(sys.stdin.buffer.read())
    LIMITS = request["limits"]
    worker = os.fork()
    if worker == 0:
        run_worker(request)
        os._exit(0)
    os.close(REPLY_FD)
    _, status, usage = os.wait4(worker, 0)
    try:
        os.kill(-1, signal.SIGKILL)  # every process left in the sandbox but this one and init
    except ProcessLookupError:
        pass
    os._exit(exit_status(status, usage))


if __name__ == "__main__":
    main()
