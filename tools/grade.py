"""Grade a folder of submitted notebooks into a score table and a feedback file each.

Usage::

    python tools/grade.py SUBMISSIONS --chapter 1 [--out FOLDER] [--jobs 2]

``make grade SUBMISSIONS=folder CHAPTER=1`` does the same. Every file in the folder (and
its sub-folders; hidden files aside) gets exactly one row of ``grades.csv`` in the output
folder (default: ``SUBMISSIONS-graded`` beside it), and each notebook a feedback file,
``feedback/<student>.txt``. A student's id is the file's path in the folder, without
``.ipynb``.

How a submission is graded, in three processes of which only the first two run any of
its code, each in the sandbox of ``grade_sandbox.py`` (time, memory and file limits, no
network, a folder of its own, and a user of its own when this runs as root):

1. **run**: the whole notebook, top to bottom, as a student's "run all". This only
   reports which cells raised (the "notebook_run" column): no score depends on it.
2. **check**: a fresh process runs the notebook's import statements, then only the
   answer cells (found by their nbgrader ``grade_id``, which is the exercise's label),
   in order, and calls each answer on **hidden** cases: inputs made from a seed that this
   process draws when it starts and never writes down or passes on. It sends back what
   each call returned, nothing more. When it crashes or overruns on one exercise, that
   exercise scores 0 and a new process checks the others.
3. **judge**: this process, which never runs a submission's code, compares the returned
   values with the references of ``lib.exercises`` and writes the verdicts. A score is
   never read from anything a submission prints.
"""

from __future__ import annotations

import argparse
import ast
import csv
import dataclasses
import hashlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

import nbformat  # noqa: E402
from grade_runner import decode, encode  # noqa: E402

from lib.exercises import chapter_exercises  # noqa: E402
from lib.exercises.checker import (  # noqa: E402
    ERROR,
    NOT_ATTEMPTED,
    Outcome,
    Result,
    wrap,
)

#: The largest notebook file that is read at all.
MAX_NOTEBOOK_BYTES = 20 * 2**20
#: The longest event line, and the most bytes, that a child may send.
MAX_LINE_BYTES = 32 * 2**20
MAX_CHANNEL_BYTES = 256 * 2**20
#: The first of the user ids that sandboxed processes run under, when grading as root.
UID_BASE = 2_000_000_000
_NAMESPACES = [
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount",
    "--mount-proc",
    "--propagation",
    "private",
]
UNSHARE = {"root": ["unshare", *_NAMESPACES], "userns": ["unshare", "--user", "--map-root-user"]}
UNSHARE["userns"] += _NAMESPACES
LEVELS = ("root", "userns", "limits")


@dataclass
class Limits:
    """The limits of each sandboxed process (seconds and megabytes)."""

    run_seconds: float = 300  # the whole notebook, step 1
    startup_seconds: float = 120  # the imports of step 2
    exercise_seconds: float = 30  # one exercise's cell and all its cases, step 2
    memory_mb: int = 2048  # address space
    tmp_mb: int = 256  # the tmpfs of /tmp, the submission's folder included
    file_mb: int = 64  # the largest file it may write


# --- isolation -------------------------------------------------------------------------------


def detect_isolation(wanted="auto"):
    """The strongest isolation level this machine allows (or ``wanted``, if it does).

    Raises
    ------
    RuntimeError
        If ``wanted`` is not possible here.
    """
    if wanted == "limits":
        return "limits"
    candidates = [wanted] if wanted != "auto" else ["root", "userns"]
    for level in candidates:
        if level == "root" and os.geteuid() != 0:
            continue
        if shutil.which("unshare"):
            probe = subprocess.run(
                [*UNSHARE[level], "true"], capture_output=True, timeout=30, check=False
            )
            if probe.returncode == 0:
                return level
    if wanted != "auto":
        raise RuntimeError(f"isolation level {wanted!r} is not possible on this machine")
    return "limits"


def describe_exit(code, killed_for=None):
    """Say how a sandboxed process ended, from its exit code."""
    if killed_for:
        return killed_for
    if code is None:
        return "it did not end"
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        why = {
            "SIGKILL": " (the memory limit, or killed)",
            "SIGXCPU": " (the CPU time limit)",
            "SIGSEGV": " (a crash)",
            "SIGABRT": " (an abort, often the memory limit)",
        }.get(name, "")
        return f"the process was ended by {name}{why}"
    return f"the process exited early, with code {code}"


class Child:
    """One sandboxed runner: send it a request, read its events against deadlines."""

    def __init__(self, argv, request, cwd):
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        self.events = queue.Queue()
        self.stderr = b""
        self.killed_for = None
        payload = json.dumps(request).encode()
        threading.Thread(target=self._write, args=(payload,), daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _write(self, payload):
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except OSError:  # it ended before reading everything
            pass

    def _read(self):
        total = 0
        try:
            while True:
                line = self.proc.stdout.readline(MAX_LINE_BYTES)
                total += len(line)
                if not line:
                    break
                if total > MAX_CHANNEL_BYTES or not line.endswith(b"\n"):
                    self.events.put({"event": "_flood"})
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # not an event: ignore it
                if isinstance(event, dict):
                    self.events.put(event)
        finally:
            self.events.put(None)

    def _read_stderr(self):
        data = self.proc.stderr.read(65536)
        self.stderr = data
        while self.proc.stderr.read(65536):
            pass

    def event(self, deadline):
        """The next event, None once the process has ended; TimeoutError at ``deadline``."""
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise TimeoutError
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if event is not None and event.get("event") == "_flood":
            self.kill("it sent more output than the grader reads")
            return None
        return event

    def kill(self, reason=None):
        """End the process and all it started (its PID namespace, or its session)."""
        if self.killed_for is None and reason:
            self.killed_for = reason
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.finish()

    def finish(self):
        """Wait for the end; the process is killed if it lingers."""
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:  # anything it started in its session (limits level) goes too
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def ending(self):
        """How the process ended, in words."""
        self.finish()
        return describe_exit(self.proc.returncode, self.killed_for)


# --- reading a submission ---------------------------------------------------------------------


class Unreadable(Exception):
    """A submitted file that is not a notebook this grader can read."""


def read_notebook(path):
    """Read a submitted notebook; raise :class:`Unreadable` with the reason.

    A notebook that nbformat refuses (an editor's odd field, an old format) is still
    graded when its cells can be read: each has a type and a source.
    """
    if path.is_symlink():
        raise Unreadable("a symbolic link, not a file: not followed")
    if not path.is_file():
        raise Unreadable("not a regular file")
    if path.suffix.lower() != ".ipynb":
        raise Unreadable("not a notebook file (.ipynb)")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"too large ({size} bytes; the limit is {MAX_NOTEBOOK_BYTES})")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        message = getattr(error, "msg", "invalid")
        where = f" at line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        raise Unreadable(f"not valid JSON ({message}{where})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Unreadable("JSON, but not a notebook (no list of cells)")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception:  # nbformat's many ways of refusing a file: read the cells alone
        pass
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unreadable("a notebook with malformed cells")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise Unreadable("a notebook with malformed cells")
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cells.append({"cell_type": cell["cell_type"], "source": source, "metadata": metadata})
    return nbformat.from_dict({"cells": cells, "metadata": {}, "nbformat": 4})


def _parse(source):
    """The module AST of a cell, IPython magics and shell lines blanked; None if none."""
    if len(source) > 2**20:
        return None
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def defines(source, name):
    """True when a cell defines ``name`` at its top level (def, class or assignment)."""
    tree = _parse(source)
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def grade_id(cell):
    """A cell's nbgrader ``grade_id``, or None (whatever a student did to its metadata)."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def answer_cells(nb, exercises):
    """Each exercise's answer cell: ``{name: (position, source, how it was found)}``.

    The cell is the code cell whose nbgrader ``grade_id`` is the exercise's label (the
    last one, if a student copied it); failing that, the last code cell that defines
    the answer's name at its top level. An exercise with neither is left out.
    """
    found = {}
    for exercise in exercises:
        by_id = [
            (i, c.source)
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and grade_id(c) == exercise.label
        ]
        if by_id:
            found[exercise.name] = (*by_id[-1], "its answer cell")
            continue
        by_name = [
            (i, c.source)
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and defines(c.source, exercise.name)
        ]
        if by_name:
            found[exercise.name] = (*by_name[-1], "the last cell that defines it")
    return found


def imports_of(nb):
    """The notebook's import statements, in order, each once (the check step's prelude)."""
    statements = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        for node in tree.body if tree else []:
            if isinstance(node, ast.Import | ast.ImportFrom):
                statements.append(ast.unparse(node))
    return list(dict.fromkeys(statements))


# --- grading ----------------------------------------------------------------------------------


def outcome(data):
    """The :class:`Outcome` that one outcome of the check step stands for (see
    ``grade_runner``), read without running any of the submission's code.

    Examples
    --------
    >>> outcome({"value": encode([1, 2]), "mutated": False}).value
    [1, 2]
    >>> outcome({"not_callable": "an int"}).not_callable
    'an int'
    """
    return Outcome(
        value=decode(data["value"]) if "value" in data else None,
        raised=str(data["raised"]) if "raised" in data else None,
        not_implemented=bool(data.get("not_implemented")),
        mutated=bool(data.get("mutated")),
        not_callable=str(data["not_callable"]) if "not_callable" in data else None,
    )


@dataclass
class CheckRecord:
    """What the check step saw of one exercise."""

    outcomes: list = field(default_factory=list)
    cell_error: str | None = None
    missing: bool = False
    stopped: str | None = None  # why the process ended during it
    done: bool = False


@dataclass
class Row:
    """One submitted file's line of the table, and its feedback."""

    file: str
    student: str
    results: list = field(default_factory=list)
    notebook_run: str = ""
    reason: str = ""
    notes: list = field(default_factory=list)
    run_errors: list = field(default_factory=list)


class Grader:
    """Grades one chapter's submissions; see the module's docstring.

    Parameters
    ----------
    chapter : int or str
        The chapter, as :func:`lib.exercises.chapter_exercises` takes it.
    limits : Limits, optional
    isolation : {"auto", "root", "userns", "limits"}, optional
    jobs : int, optional
        How many submissions are graded at the same time.
    hide : list of Path, optional
        More folders that the sandboxed processes must not see.
    run_notebook : bool, optional
        Whether to run each notebook top to bottom (step 1). Default True.
    watch : list of Path, optional
        Folders whose files must not change while submissions run; a change is reported.
        Default: the submissions, ``lib`` and ``tools``.
    """

    def __init__(
        self,
        chapter,
        *,
        limits=None,
        isolation="auto",
        jobs=2,
        hide=(),
        run_notebook=True,
        watch=None,
    ):
        self.exercises = chapter_exercises(chapter)
        self.chapter = chapter
        self.limits = limits or Limits()
        self.level = detect_isolation(isolation)
        self.jobs = max(1, int(jobs))
        self.extra_hide = [Path(p).resolve() for p in hide]
        self.run_notebook = run_notebook
        self.watch = watch
        self._ids = count()
        self.mpl_cache = None
        self.scratch_root = None
        # The secret: drawn now, kept in this process's memory only.
        seed = secrets.randbits(64)
        self.cases = {e.name: e.cases(seed=(seed, index)) for index, e in enumerate(self.exercises)}
        self.encoded = {
            name: [[encode(arg) for arg in case.args] for case in cases]
            for name, cases in self.cases.items()
        }

    # -- the sandbox

    def _hidden(self, mode, submissions, out):
        paths = [submissions, out, ROOT / "chapters", ROOT / "student", *self.extra_hide]
        if self.scratch_root is not None:
            paths.append(self.scratch_root)
        if mode == "check":  # compiled references too
            paths.append(ROOT / "lib" / "exercises" / "__pycache__")
        needed = [ROOT / "tools", ROOT / "lib", Path(sys.prefix).resolve()]
        keep = []
        for path in paths:
            path = Path(path).resolve()
            if any(n == path or path in n.parents for n in needed):
                continue  # never hide what the runner needs
            keep.append(str(path))
        return keep

    def _start(self, mode, request, scratch, submissions, out):
        timeout = self.limits.run_seconds if mode == "run" else self._check_budget(request)
        number = next(self._ids)
        config = {
            "level": self.level,
            "mode": mode,
            "python": sys.executable,
            "runner": str(TOOLS / "grade_runner.py"),
            "scratch": str(scratch),
            "uid": UID_BASE + number if self.level == "root" else None,
            "hide": self._hidden(mode, submissions, out),
            # The references of the checkers, which answers must not call.
            "hide_files": [str(p) for p in (ROOT / "lib" / "exercises").glob("chapter*.py")]
            if mode == "check"
            else [],
            "expose": [sys.base_prefix, sys.prefix, str(ROOT)],
            "memory_bytes": self.limits.memory_mb * 2**20,
            "tmp_bytes": self.limits.tmp_mb * 2**20,
            "file_bytes": self.limits.file_mb * 2**20,
            "cpu_seconds": int(timeout) + 10,
            "mpl_cache": str(self.mpl_cache) if self.mpl_cache else None,
        }
        argv = [sys.executable, "-I", str(TOOLS / "grade_sandbox.py"), json.dumps(config)]
        if self.level in UNSHARE:
            argv = UNSHARE[self.level] + argv
        return Child(argv, request, cwd=scratch)

    def _check_budget(self, request):
        evaluated = sum(1 for e in request["exercises"] if e["evaluate"])
        return self.limits.startup_seconds + self.limits.exercise_seconds * evaluated

    def prepare(self, scratch_root):
        """Build matplotlib's font cache once, for every sandbox to copy."""
        self.mpl_cache = scratch_root / "matplotlib"
        self.mpl_cache.mkdir()
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(self.mpl_cache)},
            capture_output=True,
            timeout=300,
            check=False,
        )

    def probe(self, scratch_root, submissions, out):
        """Run ``import lib`` in the sandbox; raise RuntimeError if the sandbox fails."""
        scratch = scratch_root / "probe"
        scratch.mkdir()
        child = self._start("run", {"cells": [[0, "import lib"]]}, scratch, submissions, out)
        events = []
        deadline = time.monotonic() + 300
        try:
            while (event := child.event(deadline)) is not None:
                events.append(event)
        except TimeoutError:
            child.kill()
        ending = child.ending()
        if events != [{"event": "cell", "position": 0, "error": None}, {"event": "done"}]:
            detail = child.stderr.decode(errors="replace").strip()[-2000:]
            raise RuntimeError(
                f"the sandbox ({self.level}) does not work here: {events or ending}\n{detail}\n"
                "When grading as root, the repository and its .venv must be readable by "
                "other users; or choose --isolation limits."
            )

    # -- step 1: run the notebook

    def run_step(self, nb, scratch, submissions, out, row):
        cells = [[i, c.source] for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        if not cells:
            row.notebook_run = "no code cells"
            return
        child = self._start("run", {"cells": cells}, scratch, submissions, out)
        deadline = time.monotonic() + self.limits.run_seconds
        expected = [position for position, _ in cells]
        seen, done, stopped = 0, False, None
        try:
            while (event := child.event(deadline)) is not None:
                kind = event.get("event")
                if (
                    kind == "cell"
                    and seen < len(expected)
                    and event.get("position") == expected[seen]
                ):
                    if event.get("error"):
                        row.run_errors.append((expected[seen], str(event["error"])[:300]))
                    seen += 1
                elif kind == "done" and seen == len(expected):
                    done = True
        except TimeoutError:
            child.kill(f"the time limit ({self.limits.run_seconds:g} s)")
        ending = child.ending()
        if not done:
            stopped = ending
        errors = len(row.run_errors)
        if done and not errors:
            row.notebook_run = "ran clean"
        elif done:
            row.notebook_run = f"ran to the end; {errors} cell{'s' * (errors != 1)} raised"
        else:
            where = expected[seen] if seen < len(expected) else expected[-1]
            row.notebook_run = f"stopped at cell {where + 1}: {stopped}"

    # -- step 2: check the answers on hidden cases

    def check_step(self, nb, scratch, submissions, out, row):
        cells = answer_cells(nb, self.exercises)
        order = sorted(self.exercises, key=lambda e: cells.get(e.name, (len(nb.cells),))[0])
        records = {e.name: CheckRecord() for e in order}
        prelude = imports_of(nb)
        while True:
            pending = [e for e in order if not records[e.name].done]
            if not pending:
                break
            request = {
                "prelude": prelude,
                "exercises": [
                    {
                        "name": e.name,
                        "kind": e.kind,
                        "cell": cells[e.name][1] if e.name in cells else None,
                        "cases": self.encoded[e.name] if e.kind == "function" else [],
                        "evaluate": not records[e.name].done,
                    }
                    for e in order
                    # a cell that stopped a process is not run again
                    if not (records[e.name].stopped and not records[e.name].outcomes)
                ],
            }
            self._check_once(request, pending, records, scratch, submissions, out)
        for exercise in self.exercises:
            name = exercise.name
            where = cells.get(name)
            if where and where[2] != "its answer cell":
                row.notes.append(
                    f"{name}: no cell has the grade_id {exercise.label}; graded {where[2]} "
                    f"(cell {where[0] + 1})."
                )
            row.results.append(self.judge(exercise, records[name], where is not None))

    def _check_once(self, request, pending, records, scratch, submissions, out):
        child = self._start("check", request, scratch, submissions, out)
        names = [e.name for e in pending]
        current, position = None, 0
        deadline = time.monotonic() + self.limits.startup_seconds
        ready = False
        try:
            while (event := child.event(deadline)) is not None:
                kind, name = event.get("event"), event.get("name")
                if kind == "ready" and not ready:
                    ready = True
                    deadline = time.monotonic() + self.limits.exercise_seconds
                elif not ready:
                    continue
                elif kind == "begin" and current is None and position < len(names):
                    if name == names[position]:
                        current = name
                        deadline = time.monotonic() + self.limits.exercise_seconds
                elif name != current or current is None:
                    continue  # out of sequence: not the runner's, ignore it
                elif kind == "case":
                    record = records[current]
                    index = event.get("index")
                    if index == len(record.outcomes) and isinstance(event.get("outcome"), dict):
                        record.outcomes.append(event["outcome"])
                elif kind == "cell_error":
                    records[current].cell_error = str(event.get("error"))[:300]
                elif kind == "missing":
                    records[current].missing = True
                elif kind == "end":
                    records[current].done = True
                    current, position = None, position + 1
                    deadline = time.monotonic() + self.limits.exercise_seconds
        except TimeoutError:
            if not ready:
                child.kill(f"the imports took longer than {self.limits.startup_seconds:g} s")
            else:
                child.kill(f"the time limit ({self.limits.exercise_seconds:g} s per exercise)")
        ending = child.ending()
        if not ready:  # nothing can be checked if the imports never finished
            for name in names:
                records[name].stopped, records[name].done = f"before it started: {ending}", True
            return
        victim = current or (names[position] if position < len(names) else None)
        if victim is not None:
            records[victim].stopped, records[victim].done = ending, True

    # -- step 3: judge

    def judge(self, exercise, record, has_cell):
        """The verdict on one exercise, from what the check step saw."""
        name, cases = exercise.name, self.cases[exercise.name]
        if record.stopped:
            where = ""
            if (
                exercise.kind == "function"
                and record.outcomes
                and len(record.outcomes) < len(cases)
            ):
                where = f", on {cases[len(record.outcomes)].description}"
            elif exercise.kind == "function" and record.outcomes == [] and len(cases):
                where = ", while running its answer cell or its first case"
            return Result(
                name, ERROR, f"error. Grading stopped{where}: {record.stopped}.", exercise.points
            )
        if record.missing or not record.outcomes:
            if not has_cell:
                return Result(
                    name,
                    NOT_ATTEMPTED,
                    "not attempted (no answer cell was found).",
                    exercise.points,
                )
            because = (
                f": run on its own, it raised {record.cell_error}" if record.cell_error else ""
            )
            return Result(
                name,
                ERROR,
                f"error. Its answer cell does not define {name}{because}.",
                exercise.points,
            )
        outcomes = [outcome(o) for o in record.outcomes]
        try:
            result = exercise.judge(cases, outcomes)
        except Exception as error:  # a grader bug must not cost the row
            return Result(
                name, ERROR, f"error. It could not be judged ({error!r}).", exercise.points
            )
        if record.cell_error and result.status != "correct":
            result = dataclasses.replace(
                result,
                message=f"{result.message} (Run on its own, its answer cell raised "
                f"{record.cell_error}.)",
            )
        return result

    # -- one submission, and all of them

    def grade_one(self, path, folder, out, scratch_root, row):
        """Grade one file into ``row``; every failure becomes the row's reason."""
        try:
            nb = read_notebook(path)
        except (Unreadable, OSError) as error:
            row.reason = f"unreadable: {error}"
            return
        scratch = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch_root))
        try:
            if self.run_notebook:
                self.run_step(nb, scratch, folder, out, row)
            self.check_step(nb, scratch, folder, out, row)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def grade(self, folder, out):
        """Grade every file of ``folder``; write ``grades.csv`` and ``feedback/`` in ``out``.

        Returns
        -------
        list of Row
            One per submitted file, in the order of the table.
        """
        folder, out = Path(folder).resolve(), Path(out).resolve()
        if not folder.is_dir():
            raise NotADirectoryError(f"no such folder of submissions: {folder}")
        if out == folder or folder in out.parents:
            raise ValueError("the output folder must not be inside the submissions folder")
        files, skipped = submitted_files(folder)
        rows = [Row(file=f, student=student_id(f)) for f in files]
        for row in rows:
            row.reason = "not graded: the grading run was interrupted"
        watched = [folder, ROOT / "lib", ROOT / "tools"] if self.watch is None else self.watch
        started = time.monotonic()
        scratch_root = Path(tempfile.mkdtemp(prefix="convbook-grade-"))
        self.scratch_root = scratch_root
        try:
            self.prepare(scratch_root)
            try:
                self.probe(scratch_root, folder, out)
            except RuntimeError:
                for row in rows:
                    row.reason = "not graded: the grading sandbox does not work on this machine"
                raise

            def work(row):
                row.reason = ""
                start = snapshot(watched)
                try:
                    self.grade_one(folder / row.file, folder, out, scratch_root, row)
                except Exception as error:  # never lose a row to a grader bug
                    row.reason = f"grader error: {type(error).__name__}: {error}"
                changed = changes(start, snapshot(watched))
                if changed:
                    others = " (or while another one was)" if self.jobs > 1 else ""
                    row.reason = (row.reason + "; " if row.reason else "") + (
                        f"files outside its folder changed while it was graded{others}: "
                        + ", ".join(changed[:5])
                    )

            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                list(pool.map(work, rows))
        finally:
            shutil.rmtree(scratch_root, ignore_errors=True)
            write_results(rows, self.exercises, out, self.level, self.chapter)
        self.seconds = time.monotonic() - started
        self.skipped = skipped
        return rows


# --- files ------------------------------------------------------------------------------------


def submitted_files(folder):
    """Every regular file under ``folder`` (relative paths), and the hidden ones skipped."""
    files, skipped = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            if path.is_file():
                skipped.append(str(relative))
            continue
        if not path.is_dir() or path.is_symlink():
            files.append(str(relative))
    return files, skipped


def student_id(relative):
    """The student's id: the file's path in the folder, without ``.ipynb``."""
    return re.sub(r"\.ipynb$", "", relative, flags=re.IGNORECASE)


def snapshot(folders):
    """``{path: digest}`` of every file under ``folders`` (caches and byte code aside)."""
    digests = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if "__pycache__" in path.parts or not path.is_file() or path.is_symlink():
                continue
            try:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                digests[str(path)] = "unreadable"
    return digests


def changes(before, after):
    """The paths whose digest differs between two snapshots (added and removed too)."""
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def feedback_names(rows):
    """A feedback file name per row: the student's id, made safe and unique."""
    names, used = [], set()
    for row in rows:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", row.student.replace("/", "__")) or "student"
        name, number = base, 2
        while name.lower() in used:
            name, number = f"{base}-{number}", number + 1
        used.add(name.lower())
        names.append(name + ".txt")
    return names


def write_results(rows, exercises, out, level, chapter):
    """Write ``grades.csv`` (one row per submitted file) and ``feedback/``."""
    out.mkdir(parents=True, exist_ok=True)
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    total = sum(e.points for e in exercises)
    names = [e.name for e in exercises]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["file", "student", "score", "max_score", *names, "notebook_run", "reason"])
        for row in rows:
            statuses = {r.exercise: r.status for r in row.results}
            score = sum(r.score for r in row.results)
            writer.writerow(
                [row.file, row.student, f"{score:g}", f"{total:g}"]
                + [statuses.get(n, "") for n in names]
                + [row.notebook_run, row.reason]
            )
    for row, name in zip(rows, feedback_names(rows), strict=True):
        (feedback / name).write_text(feedback_text(row, total, level, chapter), encoding="utf-8")


def feedback_text(row, total, level, chapter):
    """The feedback file of one submission."""
    score = sum(r.score for r in row.results)
    lines = [
        f"Chapter {chapter}: feedback for {row.student} ({row.file})",
        f"Score: {score:g} / {total:g}",
        "",
    ]
    if row.reason:
        lines += [wrap(f"Note: {row.reason}"), ""]
    for r in row.results:
        lines += [wrap(f"{r.exercise} ({r.score:g} / {r.points:g}): {r.message}{r.advice}"), ""]
    lines += [wrap(f"Note: {note}") for note in row.notes]
    if row.notebook_run:
        lines += [
            "",
            wrap(f"Your notebook, run top to bottom in the grading sandbox: {row.notebook_run}."),
        ]
        lines += [f"    cell {position + 1}: {error}" for position, error in row.run_errors[:20]]
    lines += [
        "",
        "How this was graded: each answer cell was run on its own, after the notebook's",
        "import statements and the answer cells above it, and each answer was checked on",
        "hidden cases, different from the ones of the notebook's checks.",
        f"(Isolation level of the grading sandbox: {level}.)",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="the folder of submitted notebooks")
    parser.add_argument("--chapter", required=True, help="the chapter: 1, 01 or 01_convolution")
    parser.add_argument("--out", type=Path, help="default: SUBMISSIONS-graded, beside it")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="submissions graded at the same time (default %(default)s)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", *LEVELS),
        default="auto",
        help="the sandbox: the strongest this machine allows (auto), or one named",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=Limits.run_seconds,
        help="seconds for running a whole notebook (default %(default)s)",
    )
    parser.add_argument(
        "--exercise-timeout",
        type=float,
        default=Limits.exercise_seconds,
        help="seconds per exercise on the hidden cases (default %(default)s)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=Limits.memory_mb,
        help="megabytes of address space per process (default %(default)s)",
    )
    parser.add_argument(
        "--no-run", action="store_true", help="skip running each notebook top to bottom (faster)"
    )
    args = parser.parse_args(argv)
    folder = args.submissions.resolve()
    out = args.out or folder.with_name(folder.name + "-graded")
    limits = Limits(
        run_seconds=args.timeout, exercise_seconds=args.exercise_timeout, memory_mb=args.memory
    )
    try:
        grader = Grader(
            args.chapter,
            limits=limits,
            isolation=args.isolation,
            jobs=args.jobs,
            run_notebook=not args.no_run,
        )
        rows = grader.grade(folder, out)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    for name in grader.skipped:
        print(f"skipped (hidden file): {name}")
    print(
        f"graded {len(rows)} file{'s' * (len(rows) != 1)} of chapter {args.chapter} in "
        f"{grader.seconds:.0f} s (isolation: {grader.level}); wrote {out / 'grades.csv'} "
        f"and {out / 'feedback'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
