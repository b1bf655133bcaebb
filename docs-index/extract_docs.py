"""Extract the API documentation of installed distributions, for Toolsmith's docs index.

Run with the tool runtime's Python (our own trusted script, not generated code):

    python extract_docs.py --versions
        prints {"python": ..., "distributions": {name: version, ...}} (no package is imported);
        the caller hashes it into the cache key.

    python extract_docs.py [--out FILE] [--max-doc-chars N] [--module-timeout S] [--budget S] DIST...
        imports every public module of each distribution (e.g. rdkit numpy pillow) and writes
        {"python", "distributions", "packages": {dist: {"version", "importNames"}}, "entries": [...],
         "stats": {...}, "errors": [...]} as JSON to FILE (default: stdout).

Each entry is {"package": dist, "module", "name" (fully qualified dotted name), "kind" (module |
class | function | method | property), "signature", "doc", "aliases": [other public names of the
same object]}. Modules that fail to import (optional dependencies missing, ...) are skipped and
listed in "errors"; so are modules that take longer than --module-timeout seconds to import.
Whatever imported modules print goes to stderr, so the JSON on stdout stays clean.
"""

import argparse
import importlib
import importlib.metadata as metadata
import inspect
import io
import json
import os
import pkgutil
import re
import signal
import sys
import textwrap
import time
import types
import warnings

# Module path components never indexed: test suites, scripts, and build tooling a generated tool
# has no business calling.
SKIPPED_COMPONENTS = {"tests", "test", "testing", "conftest", "setup", "__main__", "f2py", "distutils"}

KEPT_DUNDERS = {"__call__"}


class ModuleTimeout(BaseException):
    """Raised by SIGALRM while one module takes too long to import."""


def _on_alarm(_signum, _frame):
    raise ModuleTimeout()


def versions_report():
    distributions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            distributions[normalize_dist(name)] = dist.version
    return {
        "python": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "distributions": dict(sorted(distributions.items())),
    }


def normalize_dist(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def import_names(dist_name):
    """The top-level import names of a distribution: pillow -> PIL, rdkit -> rdkit."""
    wanted = normalize_dist(dist_name)
    names = set()
    for top, dists in metadata.packages_distributions().items():
        if any(normalize_dist(d) == wanted for d in dists):
            names.add(top)
    try:
        top_level = metadata.distribution(dist_name).read_text("top_level.txt") or ""
        names.update(line.strip() for line in top_level.splitlines() if line.strip())
    except metadata.PackageNotFoundError:
        pass
    # Public packages only: numpy's distribution also ships "numpy.libs"-style folders and
    # private helpers.
    return sorted(n for n in names if n.isidentifier() and not n.startswith("_"))


def deprecation_messages(caught):
    deprecations = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    return [str(w.message) for w in caught if issubclass(w.category, deprecations)]


def is_deprecation_of(name, message):
    """A deprecation message naming the module before the word: "The rdkit.Chem.MCS module is
    deprecated; please use rdkit.Chem.rdFMCS instead" deprecates MCS, not rdFMCS."""
    where = message.lower().find("deprecat")
    named = re.search(re.escape(name) + r"\b(?!\.)", message)
    return where >= 0 and named is not None and named.start() < where


def is_public_module_name(name):
    return not any(part.startswith("_") or part in SKIPPED_COMPONENTS for part in name.split("."))


class Extractor:
    def __init__(self, max_doc_chars, module_timeout, budget):
        self.max_doc_chars = max_doc_chars
        self.module_timeout = module_timeout
        self.deadline = time.monotonic() + budget
        self.errors = []
        self.modules = {}  # module name -> (dist, module)
        self.objects = {}  # id(obj) -> {"obj", "dist", "names": set()}
        self.truncated = False
        self.deprecated = set()
        self.deprecations = []

    # ---- walking ------------------------------------------------------------------------------

    def guarded_import(self, name):
        if time.monotonic() > self.deadline:
            self.truncated = True
            return None
        saved_stdout = sys.stdout
        signal.setitimer(signal.ITIMER_REAL, self.module_timeout)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                module = importlib.import_module(name)
            # A module may import a deprecated sibling (MCS imports fmcs): remember every message.
            self.deprecations.extend(deprecation_messages(caught))
            if any(is_deprecation_of(name, message) for message in self.deprecations):
                self.errors.append({"module": name, "error": "deprecated by its authors (warns on import)"})
                self.deprecated.add(name)
                return None
            return module
        except ModuleTimeout:
            self.errors.append({"module": name, "error": f"import took over {self.module_timeout}s"})
        except BaseException as error:  # noqa: BLE001 - anything a module does on import
            self.errors.append({"module": name, "error": f"{type(error).__name__}: {error}"[:300]})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout = saved_stdout
        return None

    def walk(self, dist, top):
        pending = [top]
        while pending:
            name = pending.pop()
            if name in self.modules or name in self.deprecated or not is_public_module_name(name):
                continue
            if any(is_deprecation_of(name, message) for message in self.deprecations):
                self.deprecated.add(name)
                self.errors.append({"module": name, "error": "deprecated by its authors (warns on import)"})
                continue
            module = self.guarded_import(name)
            if module is None:
                continue
            self.modules[name] = (dist, module)
            path = getattr(module, "__path__", None)
            if path:
                try:
                    children = [f"{name}.{info.name}" for info in pkgutil.iter_modules(path)]
                except Exception as error:  # noqa: BLE001
                    self.errors.append({"module": name, "error": f"listing submodules: {error}"[:300]})
                    children = []
                pending.extend(sorted(children, reverse=True))

    # ---- collecting ---------------------------------------------------------------------------

    def public_members(self, module):
        exported = getattr(module, "__all__", None)
        if isinstance(exported, (list, tuple)) and all(isinstance(n, str) for n in exported):
            names = exported
        else:
            names = [n for n in vars(module) if not n.startswith("_")]
        for attr in names:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    value = getattr(module, attr)
            except BaseException:  # noqa: BLE001 - lazy attributes may fail
                continue
            # numpy.core.* and the like: attributes that warn they are deprecated aliases.
            if not any(issubclass(w.category, DeprecationWarning) for w in caught):
                yield attr, value

    @staticmethod
    def owner_module(obj, found_in):
        owner = getattr(obj, "__module__", None)
        if isinstance(owner, str):
            return owner
        # ufuncs and some compiled callables carry no __module__: attribute them to where found.
        return found_in

    def collect(self, tops_by_dist):
        for module_name, (dist, module) in self.modules.items():
            tops = tops_by_dist[dist]
            for attr, obj in self.public_members(module):
                if isinstance(obj, types.ModuleType) or not (inspect.isclass(obj) or callable(obj)):
                    continue
                owner = self.owner_module(obj, module_name)
                # Only what the distribution itself defines: rdkit re-exporting PIL.Image or
                # numpy is not rdkit's API.
                if owner.split(".")[0] not in tops:
                    continue
                record = self.objects.setdefault(id(obj), {"obj": obj, "dist": dist, "names": set()})
                record["names"].add(f"{module_name}.{attr}")

    # ---- describing ---------------------------------------------------------------------------

    @staticmethod
    def canonical(obj, names):
        """The shortest public path: fewest dots; among equals, the object's own name
        (numpy.concatenate over its alias numpy.concat), then its defining module
        (rdMolDescriptors.CalcExactMolWt over AllChem's re-export), then fewest characters."""
        own_name = getattr(obj, "__name__", None)
        home = getattr(obj, "__module__", None)

        def key(name):
            module, _, leaf = name.rpartition(".")
            return (name.count("."), leaf != own_name, module != home, len(name), name)

        return min(names, key=key)

    def trim(self, doc):
        doc = doc.strip()
        if len(doc) <= self.max_doc_chars:
            return doc
        cut = doc[: self.max_doc_chars]
        boundary = cut.rfind("\n")
        if boundary > self.max_doc_chars * 0.6:
            cut = cut[:boundary]
        return cut.rstrip() + "\n…"

    @staticmethod
    def raw_doc(obj):
        doc = getattr(obj, "__doc__", None)
        if not isinstance(doc, str):
            return ""
        doc = inspect.cleandoc(doc)
        # Boost.Python appends "C++ signature :" blocks to every overload: noise for a Python user.
        doc = re.sub(r"\n[ \t]*C\+\+ signature :\n(?:[ \t]+.*\n?)+", "\n", doc + "\n")
        return doc.strip()

    @staticmethod
    def split_signature_line(short_name, doc):
        """If `doc` starts with `name(...) [-> ret] [:]`, return ("(...) [-> ret]", rest of doc)."""
        match = re.match(re.escape(short_name) + r"\s*\(", doc)
        if not match:
            return None
        depth = 0
        end = None
        for index in range(match.end() - 1, len(doc)):
            char = doc[index]
            if char in "([":
                depth += 1
            elif char in ")]":
                depth -= 1
                if depth == 0:
                    end = index + 1
                    break
        if end is None:
            return None
        signature = doc[match.end() - 1 : end]
        rest = doc[end:]
        returns = re.match(r"[ \t]*->[ \t]*([^\n:]+?)[ \t]*:?[ \t]*(?:\n|$)", rest)
        if returns:
            signature += f" -> {returns.group(1).strip()}"
            rest = rest[returns.end() :]
        else:
            rest = re.sub(r"^[ \t]*:?[ \t]*\n?", "", rest)
        signature = re.sub(r"\s+", " ", signature)
        return signature, Extractor.dedent_overloads(short_name, rest)

    @staticmethod
    def dedent_overloads(short_name, text):
        """Boost.Python documents each overload as an unindented `name(...)` line followed by an
        indented body: dedent each body on its own and squeeze the blank lines between them."""
        blocks = re.split(r"\n(?=" + re.escape(short_name) + r"\s*\()", text)
        cleaned = []
        for index, block in enumerate(blocks):
            if index == 0:
                cleaned.append(textwrap.dedent(block).strip())
            else:
                head, _, body = block.partition("\n")
                cleaned.append(head.rstrip() + "\n" + textwrap.dedent(body).strip())
        joined = "\n\n".join(b for b in cleaned if b)
        joined = re.sub(r"[ \t]+\n", "\n", joined)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()

    def signature_and_doc(self, obj, short_name, is_class=False):
        doc = self.raw_doc(obj)
        signature = ""
        try:
            signature = str(inspect.signature(obj))
        except (TypeError, ValueError, RuntimeError):
            pass
        except Exception:  # noqa: BLE001 - exotic callables
            pass
        if is_class and not signature:
            init = getattr(obj, "__init__", None)
            init_doc = self.raw_doc(init) if init is not None else ""
            parsed = self.split_signature_line("__init__", init_doc) if init_doc else None
            if parsed:
                # Boost.Python constructors: "( (object)self, (str)pklString) -> None"
                signature = re.sub(r"^\(\s*\(object\)\w+\s*,?\s*", "(", parsed[0])
                signature = re.sub(r"\s*->\s*None$", "", signature)
        parsed = self.split_signature_line(short_name, doc) if doc else None
        if parsed:
            # Boost.Python and many C functions state the signature on the docstring's first line.
            if not signature or signature in ("(*args, **kwargs)", "(*x, **y)"):
                signature = parsed[0]
            doc = parsed[1]
        return signature, self.trim(doc)

    @staticmethod
    def stable(text):
        # Default values print as "<function f at 0x7f...>": drop the address, it changes every run.
        return re.sub(r" at 0x[0-9a-fA-F]+>", ">", text)

    def entry(self, dist, module, name, kind, obj, aliases=()):
        short_name = name.rsplit(".", 1)[-1]
        if kind == "module":
            signature, doc = "", self.trim(self.raw_doc(obj))
        elif kind == "property":
            signature, doc = "", self.trim(self.raw_doc(obj))
        else:
            signature, doc = self.signature_and_doc(obj, short_name, is_class=kind == "class")
        return {
            "package": dist,
            "module": module,
            "name": name,
            "kind": kind,
            "signature": self.stable(signature),
            "doc": self.stable(doc),
            "aliases": sorted(a for a in aliases if a != name),
        }

    def class_members(self, dist, cls, class_name, module):
        for attr, member in sorted(vars(cls).items()):
            if attr.startswith("_") and attr not in KEPT_DUNDERS:
                continue
            name = f"{class_name}.{attr}"
            try:
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property) or inspect.isdatadescriptor(member):
                    if self.raw_doc(member):
                        yield self.entry(dist, module, name, "property", member)
                elif callable(member) and not inspect.isclass(member):
                    yield self.entry(dist, module, name, "method", member)
            except Exception as error:  # noqa: BLE001
                self.errors.append({"module": module, "error": f"{name}: {error}"[:300]})

    def entries(self):
        for module_name, (dist, module) in sorted(self.modules.items()):
            yield self.entry(dist, module_name, module_name, "module", module)
        for record in sorted(self.objects.values(), key=lambda r: self.canonical(r["obj"], r["names"])):
            obj, dist, names = record["obj"], record["dist"], record["names"]
            name = self.canonical(obj, names)
            module = name.rsplit(".", 1)[0]
            kind = "class" if inspect.isclass(obj) else "function"
            try:
                yield self.entry(dist, module, name, kind, obj, names)
                if kind == "class":
                    yield from self.class_members(dist, obj, name, module)
            except Exception as error:  # noqa: BLE001
                self.errors.append({"module": module, "error": f"{name}: {error}"[:300]})


def extract(dists, max_doc_chars, module_timeout, budget):
    started = time.monotonic()
    extractor = Extractor(max_doc_chars, module_timeout, budget)
    packages = {}
    tops_by_dist = {}
    for requested in dists:
        dist = normalize_dist(requested)
        try:
            version = metadata.version(requested)
        except metadata.PackageNotFoundError:
            extractor.errors.append({"module": requested, "error": "distribution is not installed"})
            continue
        tops = import_names(requested)
        packages[dist] = {"version": version, "importNames": tops}
        tops_by_dist[dist] = set(tops)
        for top in tops:
            extractor.walk(dist, top)
    imported = time.monotonic()
    warnings.simplefilter("ignore")  # imported modules may have reset the filters
    extractor.collect(tops_by_dist)
    entries = list(extractor.entries())
    finished = time.monotonic()
    report = versions_report()
    return {
        "python": report["python"],
        "distributions": report["distributions"],
        "packages": packages,
        "entries": entries,
        "stats": {
            "modules": len(extractor.modules),
            "entries": len(entries),
            "importSeconds": round(imported - started, 2),
            "totalSeconds": round(finished - started, 2),
            "truncated": extractor.truncated,
        },
        "errors": extractor.errors,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", action="store_true")
    parser.add_argument("--out", default="-")
    parser.add_argument("--max-doc-chars", type=int, default=1500)
    parser.add_argument("--module-timeout", type=float, default=10.0)
    parser.add_argument("--budget", type=float, default=90.0, help="stop importing new modules after this many seconds")
    parser.add_argument("dists", nargs="*")
    args = parser.parse_args()

    # Keep the real stdout for our JSON; anything else printed (Python or C level) goes to stderr.
    json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), encoding="utf-8", line_buffering=True)

    if args.versions:
        result = versions_report()
    else:
        warnings.simplefilter("ignore")
        signal.signal(signal.SIGALRM, _on_alarm)
        result = extract(args.dists, args.max_doc_chars, args.module_timeout, args.budget)

    text = json.dumps(result, ensure_ascii=False)
    if args.out == "-":
        json_out.write(text)
        json_out.flush()
    else:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    sys.stderr.flush()
    # Imported modules may have left threads or atexit hooks behind: do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
