"""Runs inside the sandbox. Trusted: it sets the limits, then loads and calls the untrusted tool.

Two ways to run, sharing everything below that touches the tool:

Cold (sandbox/runner.ts, no arguments): one JSON request on stdin; the reply channel is fd 3,
which carries READY_LINE as soon as the interpreter is up (proof that bubblewrap started the
sandbox), then one line of JSON. The tool's own prints go to stdout/stderr, never into the reply
channel. This process (the supervisor) forks the worker that applies the limits and runs the tool.
When the worker ends, however it ends, the supervisor kills every other process left in the
sandbox's PID namespace (bubblewrap's init would otherwise wait for a fork bomb's orphans) and
exits with the worker's status (128 + signal when it was killed, 152 for the CPU limit).

Warm (sandbox/pool.ts, `--serve MODULES`): the zygote. It is the sandbox's PID 1 (bubblewrap
--as-pid-1, so no process of a call can kill it or open its pipes through /proc/1/fd of an init),
non-dumpable (no ptrace, no /proc/1/mem or /proc/1/fd of it), and imports the runtime's heavy
modules once. It reads one JSON line per call on stdin and writes JSON lines on fd 3: "ready"
once, then per call a "result" (the worker's exit status, its stdout/stderr and its reply line,
each read from pipes of that call only, capped) and a "status" ("clean", or "tainted" with the
reasons, after which it exits). Each call runs in a worker forked for it, exactly as in the cold
mode; the zygote never loads tool code itself. After the worker, the zygote kills every other
process, removes SysV IPC objects, wipes /tmp and /dev/shm, and checks that nothing a call can
reach (mount roots, its own scheduling attributes and limits, the user keyrings) changed; anything
it cannot prove clean taints the sandbox, which the pool then replaces.
"""
import ctypes
import errno
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import resource
import select
import signal
import stat
import sys
import time
import traceback

REPLY_FD = 3
READY_LINE = b"TOOLSMITH-HARNESS-READY\n"
TOOL_PATH = "/tmp/tool/generated_tool.py"
# A tool's traceback as tests report it: the last lines of its own frames, capped.
TRACEBACK_LINES = 20
TRACEBACK_LINE_CHARS = 400
TRACEBACK_CHARS = 2000
WORKER_PID = None
LIMITS = {}
LIBC = ctypes.CDLL(None, use_errno=True)

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
# Per architecture: the audit arch, the key-management system calls (add_key, request_key, keyctl),
# keyctl, ioprio_get, and whether syscall numbers with the x32 bit must be refused.
SYSCALLS = {
    "x86_64": {"arch": 0xC000003E, "keys": (248, 249, 250), "keyctl": 250, "ioprio_get": 252, "x32": True},
    "aarch64": {"arch": 0xC00000B7, "keys": (217, 218, 219), "keyctl": 219, "ioprio_get": 31, "x32": False},
}.get(platform.machine())
KEYCTL_CLEAR = 7
KEYCTL_READ = 11
KEY_SPEC_USER_KEYRING = -4
KEY_SPEC_USER_SESSION_KEYRING = -5


# ---------------------------------------------------------------------------------------------
# The worker: limits, then the tool


def reply(payload):
    """Writes the reply once, from the worker only: a tool's forked child can never reply."""
    if os.getpid() != WORKER_PID:
        os._exit(0)
    for stream in (sys.stdout, sys.stderr):  # what the tool printed, before the reply ends the run
        try:
            stream.flush()
        except BaseException:
            pass
    write_all(REPLY_FD, json.dumps(payload, default=repr).encode() + b"\n")
    os._exit(0)


def apply_limits(limits, preloaded_address_space=0):
    def set_limit(kind, soft, hard=None):
        try:
            resource.setrlimit(kind, (soft, soft if hard is None else hard))
        except (ValueError, OSError):
            pass

    # A forked worker already maps what the zygote preloaded: that does not count against the tool.
    set_limit(resource.RLIMIT_AS, limits["memoryBytes"] + preloaded_address_space)
    # SIGXCPU (default action: terminate) at the soft limit; SIGKILL one second later if ignored.
    set_limit(resource.RLIMIT_CPU, limits["cpuSeconds"], limits["cpuSeconds"] + 1)
    set_limit(resource.RLIMIT_FSIZE, limits["fileBytes"])
    # Only effective when the sandbox does not map to host root; the runner adds a cgroup otherwise.
    set_limit(resource.RLIMIT_NPROC, limits["processes"])
    set_limit(resource.RLIMIT_CORE, 0)
    # POSIX message queues outlive their creator in the IPC namespace: a worker may not create any.
    set_limit(resource.RLIMIT_MSGQUEUE, 0)


def seccomp_filter():
    """A BPF program that refuses the kernel keyring calls (add_key, request_key, keyctl): keyrings
    are per user, not per process, so keys would outlive the call (and some belong to the host)."""
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    program = [(load, 0, 0, 4), (jeq, 1, 0, SYSCALLS["arch"]), (ret, 0, 0, deny), (load, 0, 0, 0)]
    checks = ([(jge, 0x40000000)] if SYSCALLS["x32"] else []) + [(jeq, number) for number in SYSCALLS["keys"]]
    for index, (code, value) in enumerate(checks):
        program.append((code, len(checks) - index, 0, value))  # to the final deny
    program += [(ret, 0, 0, SECCOMP_RET_ALLOW), (ret, 0, 0, deny)]
    return program


def restrict_syscalls():
    """Installs the seccomp filter in this process and its future children; False if it cannot."""
    if SYSCALLS is None:
        return False

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    program = seccomp_filter()
    instructions = (SockFilter * len(program))(*[SockFilter(*instruction) for instruction in program])
    prog = SockFprog(len(program), instructions)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


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


def trim_stack(stack):
    """The frames of the tool's own module, and the innermost frame when it is elsewhere (a library
    the tool called): none of the harness's. A module that did not even compile has none."""
    frames = [frame for frame in stack if frame.filename == TOOL_PATH]
    if frames and stack[-1].filename != TOOL_PATH:
        frames.append(stack[-1])
    return traceback.StackSummary.from_list(frames)


def tool_traceback(error):
    """The traceback of a tool's exception as a model can use it for a repair: its chain (cause,
    context) kept, only the tool's frames, the last TRACEBACK_LINES lines (each cut at
    TRACEBACK_LINE_CHARS), at most TRACEBACK_CHARS (and the marks of what was cut)."""
    described = traceback.TracebackException.from_exception(error)
    pending, seen = [described], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = trim_stack(current.stack)
        pending += [linked for linked in (current.__cause__, current.__context__) if linked is not None]
        pending += getattr(current, "exceptions", None) or []  # an ExceptionGroup's members
    lines = "".join(described.format()).rstrip("\n").split("\n")[-TRACEBACK_LINES:]
    cut = [line if len(line) <= TRACEBACK_LINE_CHARS else f"{line[:TRACEBACK_LINE_CHARS]}…" for line in lines]
    text = "\n".join(cut)
    if len(text) > TRACEBACK_CHARS:
        _, newline, rest = text[-TRACEBACK_CHARS:].partition("\n")
        text = "…\n" + rest if newline and rest else "…" + text[-TRACEBACK_CHARS:]
    return text


def describe_exception(error, full=False):
    """`full`: the whole traceback (the harness's own frames too), for a failure of the harness."""
    if full:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]
    else:
        try:
            trace = tool_traceback(error)
        except BaseException:  # never lose the exception over its traceback
            trace = "".join(traceback.format_exception_only(type(error), error))[-TRACEBACK_CHARS:]
    described = {"type": type(error).__name__, "message": str(error), "traceback": trace}
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
    os.makedirs(os.path.dirname(TOOL_PATH), exist_ok=True)
    with open(TOOL_PATH, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("generated_tool", TOOL_PATH)
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


def raised_as_expected(error, expected, match):
    """`expected` names the exception's class or one of its bases (a dotted name by its last part,
    "json.JSONDecodeError"); `match`, when given, is a substring of its message."""
    name = expected.rsplit(".", 1)[-1]
    if not any(cls.__name__ == name for cls in type(error).__mro__):
        return False
    if match is None:
        return True
    try:
        return match in str(error)
    except BaseException:  # an exception whose message cannot even be made has not the one expected
        return False


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
        expected_error = case.get("raises")
        try:
            raw = invoke(function, case["input"])
        except BaseException as error:
            if expected_error is None:
                results.append({"index": index, "outcome": "exception", "error": describe_exception(error)})
            elif raised_as_expected(error, expected_error, case.get("match")):
                results.append({"index": index, "outcome": "pass"})
            else:
                results.append({"index": index, "outcome": "wrong_exception", "error": describe_exception(error)})
            continue
        try:
            actual = to_json_value(raw)
        except (TypeError, ValueError, RecursionError) as error:
            if expected_error is not None:  # it returned normally, which is what is wrong
                results.append({"index": index, "outcome": "no_exception", "actual": repr(raw)[:2000]})
                continue
            results.append({"index": index, "outcome": "not_serializable", "actual": repr(raw)[:2000],
                            "error": describe_exception(error)})
            continue
        if expected_error is not None:
            results.append({"index": index, "outcome": "no_exception", "actual": actual})
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


def run_worker(request, preloaded_address_space=0, require_filter=False):
    global WORKER_PID, LIMITS
    WORKER_PID = os.getpid()
    LIMITS = request["limits"]
    apply_limits(LIMITS, preloaded_address_space)
    try:
        if not restrict_syscalls() and require_filter:
            raise OSError("the sandbox cannot install its system-call filter")
        payload = MODES[request["mode"]](request)
    except BaseException as error:
        payload = {"harnessError": describe_exception(error, full=True)}
    reply(payload)


def kill_everyone_else():
    """SIGKILL to every process left in the sandbox but this one and its PID 1."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def exit_status(status, usage, limits):
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        cpu_limit = limits.get("cpuSeconds")
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
    kill_everyone_else()
    os._exit(exit_status(status, usage, LIMITS))


# ---------------------------------------------------------------------------------------------
# The zygote (--serve): one warm interpreter, a fresh forked worker per call

# The only mounts a call may write to; the zygote refuses to serve if bubblewrap made others writable.
WRITABLE_MOUNTS = {"/tmp", "/dev/shm", "/dev/pts", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                   "/dev/urandom", "/dev/tty"}
WIPED = ("/tmp", "/dev/shm")
# What a call can chmod, touch or tag with extended attributes but not remove: the mount roots and
# the device nodes (the sandbox's own, see DEVICES in bwrap.ts). Restored and checked.
ROOTS = ("/tmp", "/dev/shm", "/dev/pts", "/dev/pts/ptmx", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
         "/dev/urandom", "/dev/tty")
MAX_WIPED_ENTRIES = 10_000
SETTLE_SECONDS = 2.0
IPC_RMID = 0


class Taint(Exception):
    """Something a call left behind that the zygote cannot undo or cannot prove undone."""


def memory_bytes(field):
    """VmSize (address space) or VmRSS (resident) of this process."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return 0


def xattrs(path):
    try:
        return os.listxattr(path, follow_symlinks=False)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []  # a file system without extended attributes: nothing to leave there
        raise


def keyctl(*args):
    result = LIBC.syscall(SYSCALLS["keyctl"], *[ctypes.c_long(arg) for arg in args])
    return result, ctypes.get_errno()


def attributes():
    """What another process of the same uid could change about this one: compared after each call."""
    limits = sorted(getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_"))
    return {
        "rlimits": [resource.getrlimit(kind) for kind in limits],
        "priority": os.getpriority(os.PRIO_PROCESS, 0),
        "affinity": sorted(os.sched_getaffinity(0)),
        "scheduler": [os.sched_getscheduler(0), os.sched_getparam(0).sched_priority],
        "ioprio": LIBC.syscall(SYSCALLS["ioprio_get"], 1, 0),  # IOPRIO_WHO_PROCESS, self
        "dumpable": LIBC.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
    }


def root_state(path):
    st = os.lstat(path)
    return {"mode": st.st_mode, "uid": st.st_uid, "gid": st.st_gid, "times": (st.st_atime_ns, st.st_mtime_ns)}


def check_mounts():
    """Everything is read-only but the private tmpfs mounts, devpts and the device nodes."""
    writable = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            if "rw" in fields[5].split(",") and fields[4] not in WRITABLE_MOUNTS:
                writable.append(fields[4])
    if writable:
        raise RuntimeError(f"the sandbox has writable mounts a call could leave files in: {', '.join(writable)}")


def other_processes():
    me = os.getpid()
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != me]


def kill_others():
    """As PID 1: SIGKILL to every other process, reaped, until /proc shows none (a fork bomb races)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        kill_everyone_else()
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not other_processes():
            return
        if time.monotonic() > deadline:
            raise Taint(f"processes survive being killed: {other_processes()[:10]}")
        time.sleep(0.001)


def remove_sysv_ipc():
    """Shared memory, message queues and semaphores outlive their creator in the IPC namespace."""
    removers = {"shm": lambda ident: LIBC.shmctl(ident, IPC_RMID, None),
                "msg": lambda ident: LIBC.msgctl(ident, IPC_RMID, None),
                "sem": lambda ident: LIBC.semctl(ident, 0, IPC_RMID)}
    left = []
    for kind, remove in removers.items():
        for attempt in range(2):
            with open(f"/proc/sysvipc/{kind}") as handle:
                identifiers = [int(line.split()[1]) for line in handle.readlines()[1:] if line.strip()]
            if not identifiers:
                break
            if attempt == 1:
                left.append(f"{len(identifiers)} SysV {kind}")
            for identifier in identifiers:
                remove(identifier)
    if left:
        raise Taint(f"cannot remove {', '.join(left)}")


def clear_directory(dir_fd, counter):
    """Removes everything below an open directory, fixing permissions a call may have taken away."""
    if os.fstat(dir_fd).st_mode & 0o700 != 0o700:
        os.chmod(dir_fd, 0o700)
    with os.scandir(dir_fd) as entries:
        names = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
    for name, is_dir in names:
        counter[0] += 1
        if counter[0] > MAX_WIPED_ENTRIES:
            raise Taint(f"more than {MAX_WIPED_ENTRIES} files left behind")
        if is_dir:
            os.chmod(name, 0o700, dir_fd=dir_fd)  # a directory: no process is left to swap it for a link
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            try:
                clear_directory(child, counter)
            finally:
                os.close(child)
            os.rmdir(name, dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)


def wipe_and_restore(snapshot):
    for path in WIPED:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            clear_directory(fd, [0])
            if os.listdir(fd):
                raise Taint(f"{path} is not empty after wiping it")
        finally:
            os.close(fd)
    for path in ROOTS:
        state = snapshot["roots"][path]
        for name in xattrs(path):
            os.removexattr(path, name, follow_symlinks=False)
        if root_state(path) != state:  # only what changed: not every node is the sandbox's to change
            os.chmod(path, stat.S_IMODE(state["mode"]))
            os.utime(path, ns=state["times"], follow_symlinks=False)
            if root_state(path) != state:
                raise Taint(f"{path} cannot be restored")
        if xattrs(path):
            raise Taint(f"{path} keeps extended attributes")


def clear_keyrings():
    """Calls cannot use keyrings (seccomp); should one have, its keys go, and must be gone."""
    for keyring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
        keyctl(KEYCTL_CLEAR, keyring)
        length, error = keyctl(KEYCTL_READ, keyring, 0, 0)
        if length != 0:
            raise Taint(f"a user keyring is not empty ({length}, {os.strerror(error)})")


def clean_up(snapshot):
    """After a call: nothing of it may be visible to the next one. Returns the reasons it is not."""
    try:
        kill_others()
        remove_sysv_ipc()
        wipe_and_restore(snapshot)
        clear_keyrings()
        changed = [name for name, value in attributes().items() if value != snapshot["attributes"][name]]
        if changed:
            raise Taint(f"a call changed the zygote's {', '.join(changed)}")
        return []
    except Taint as taint:
        return [str(taint)]
    except BaseException as error:  # anything unexpected: not provably clean
        return [f"cleaning up failed: {type(error).__name__}: {error}"]


class Worker:
    """A process forked from the clean zygote for the next call, blocked reading its request."""

    def __init__(self, preloaded_address_space):
        request_r, self.request = os.pipe()
        self.stdout, stdout_w = os.pipe()
        self.stderr, stderr_w = os.pipe()
        self.reply, reply_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                # Only this call's pipes: the protocol's descriptors and the zygote's are closed.
                for fd, target in ((request_r, 0), (stdout_w, 1), (stderr_w, 2), (reply_w, REPLY_FD)):
                    os.dup2(fd, target)
                os.closerange(REPLY_FD + 1, os.sysconf("SC_OPEN_MAX"))
                signal.signal(signal.SIGINT, signal.default_int_handler)
                numpy_random = sys.modules.get("numpy.random")
                if numpy_random is not None:
                    numpy_random.seed()  # the zygote's state would repeat in every call
                message = json.loads(sys.stdin.buffer.read())
                run_worker({**message["request"], "limits": message["limits"]}, preloaded_address_space,
                           require_filter=True)
            finally:
                os._exit(70)
        for fd in (request_r, stdout_w, stderr_w, reply_w):
            os.close(fd)

    def close(self):
        for fd in (self.request, self.stdout, self.stderr, self.reply):
            try:
                os.close(fd)
            except OSError:
                pass


class Collected:
    """What a call printed and replied, each capped: the reply at the output limit + 1 to see it exceeded."""

    def __init__(self, worker, output_bytes):
        self.worker, self.cap = worker, output_bytes
        self.chunks = {worker.stdout: [], worker.stderr: [], worker.reply: []}
        self.printed = self.replied = 0
        self.reply_complete = False

    def read(self, fd):
        """Reads what is there: the byte count, 0 at end of file, -1 when nothing is there yet."""
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return -1
        if fd == self.worker.reply:
            room = self.cap + 1 - self.replied
            self.replied += len(data)
            self.reply_complete = self.reply_complete or b"\n" in data[:max(room, 0)]
        else:
            room = self.cap - self.printed
            self.printed += len(data)
        if room > 0:
            self.chunks[fd].append(data[:room])
        return len(data)

    def exceeded(self):
        return self.printed > self.cap or self.replied > self.cap

    def drain(self, fds):
        """Reads what the pipes hold; bounded by the caps, even if a process still writes into them."""
        for fd in fds:
            os.set_blocking(fd, False)
            while not self.exceeded() and self.read(fd) > 0:
                pass

    def text(self, fd):
        return b"".join(self.chunks[fd]).decode("utf-8", "replace")


def supervise(worker, message):
    """Runs the call in its worker, with the wall time and the output caps. Returns the result and
    what is left to do after sending it; by then no process of the call is left."""
    limits = message["limits"]
    started = time.monotonic()
    deadline = started + limits["wallTimeMs"] / 1000
    collected = Collected(worker, limits["outputBytes"])
    flags = {"timedOut": False, "outputLimitExceeded": False, "replyLimitExceeded": False}
    pidfd = os.pidfd_open(worker.pid)
    poller = select.poll()
    open_fds = {worker.stdout, worker.stderr, worker.reply}
    for fd in (pidfd, *open_fds):
        poller.register(fd, select.POLLIN)
    exited = False
    try:
        write_all(worker.request, json.dumps(message).encode())
    except BrokenPipeError:
        exited = True  # it died before the call: reported as its exit
    os.close(worker.request)
    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            flags["timedOut"] = True
            break
        for fd, _ in poller.poll(max(1, math.ceil(remaining * 1000))):
            if fd == pidfd:
                exited = True
            elif collected.read(fd) == 0:
                poller.unregister(fd)
                open_fds.discard(fd)
        if collected.exceeded():
            flags["outputLimitExceeded"] = collected.printed > collected.cap
            flags["replyLimitExceeded"] = collected.replied > collected.cap
            break
        if collected.reply_complete:
            break
    os.close(pidfd)
    if collected.reply_complete and not any(flags.values()):
        # The reply is complete: the call is over, and everything the worker printed before it is in
        # the pipes. It is not waited for; the result goes out, then it and its processes are killed.
        os.kill(worker.pid, signal.SIGKILL)
        collected.drain(open_fds)
        exit_code = 0

        def finish():
            os.wait4(worker.pid, 0)
            kill_others_once()
            worker.close()
    else:
        if not exited:
            os.kill(worker.pid, signal.SIGKILL)
        _, status, usage = os.wait4(worker.pid, 0)
        kill_others_once()
        collected.drain(open_fds)  # every writer is gone: what is left ends at end of file
        exit_code = exit_status(status, usage, limits)
        finish = worker.close
    reply = b"".join(collected.chunks[worker.reply])
    flags["replyLimitExceeded"] = flags["replyLimitExceeded"] or collected.replied > collected.cap
    flags["outputLimitExceeded"] = flags["outputLimitExceeded"] or collected.printed > collected.cap
    complete = b"\n" in reply and not flags["replyLimitExceeded"]
    result = {"type": "result", **flags, "exitCode": exit_code, "stdout": collected.text(worker.stdout),
              "stderr": collected.text(worker.stderr),
              "reply": reply.split(b"\n")[0].decode("utf-8", "replace") if complete else None,
              "durationMs": round((time.monotonic() - started) * 1000, 3)}
    return result, finish


def kill_others_once():
    try:
        kill_others()
    except Taint:
        pass  # reported by the clean-up, which tries again


def self_test():
    """Before serving: a forked worker gets the syscall filter and cannot open the zygote's memory,
    and the zygote can wait for a worker with a pidfd (Linux 5.3)."""
    worker = os.fork()
    if worker == 0:
        code = 1
        try:
            if restrict_syscalls() and keyctl(0, KEY_SPEC_USER_KEYRING, 0)[1] == errno.EPERM:
                code = 2
                try:
                    open("/proc/1/mem", "rb").close()
                except PermissionError:
                    code = 0
        finally:
            os._exit(code)
    os.close(os.pidfd_open(worker))
    _, status = os.waitpid(worker, 0)
    problem = {1: "the system-call filter does not work", 2: "a forked call could open the zygote's memory"}
    if status != 0:
        raise RuntimeError(problem.get(os.waitstatus_to_exitcode(status), f"the self-test failed ({status})"))


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(fd, message):
    write_all(fd, json.dumps(message).encode() + b"\n")


def serve(preload):
    # The protocol moves off the standard descriptors; a call's worker gets only its own pipes.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.dup(REPLY_FD)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, REPLY_FD)
    os.close(null)
    if LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or os.getpid() != 1 or SYSCALLS is None:
        raise RuntimeError("the zygote must be the sandbox's non-dumpable PID 1 on x86_64 or aarch64")
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as PID 1: no signal of a call can reach Python code
    before = memory_bytes("VmSize")
    environment = set(os.environ)
    failed = {}
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as error:
            failed[name] = f"{type(error).__name__}: {error}"
    preloaded_address_space = max(0, memory_bytes("VmSize") - before)
    if len(os.listdir("/proc/self/task")) != 1:
        raise RuntimeError("preloading started threads: forking the zygote would not be safe")
    check_mounts()
    self_test()
    snapshot = {"attributes": attributes(), "roots": {path: root_state(path) for path in ROOTS}}
    problems = clean_up(snapshot)  # what is done after each call must work before the first
    if problems:
        raise RuntimeError(f"the zygote cannot clean its sandbox: {'; '.join(problems)}")
    gc.collect()
    gc.freeze()  # forked workers do not touch (copy) the preloaded objects' pages to collect them
    worker = Worker(preloaded_address_space)
    send(protocol_out, {"type": "ready", "preloaded": [name for name in preload if name not in failed],
                        "failed": failed, "rssBytes": memory_bytes("VmRSS"),
                        "preloadedAddressSpace": preloaded_address_space,
                        "environmentAdded": sorted(set(os.environ) - environment)})
    for line in protocol_in:
        message = json.loads(line)
        result, finish = supervise(worker, message)
        send(protocol_out, result)
        finish()
        problems = clean_up(snapshot)
        if not problems:
            worker = Worker(preloaded_address_space)  # the next call's, from the clean zygote
        send(protocol_out, {"type": "status", "clean": not problems, "problems": problems})
        if problems:
            os._exit(0)
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve([name for name in ",".join(sys.argv[2:]).split(",") if name])
    else:
        main()
