"""Grade a folder of submitted notebooks into a score table and a feedback file each.

Usage::

    python tools/grade.py SUBMISSIONS --chapter 1 [--out FOLDER] [--jobs 2]
        [--weights FILE] [--partial-credit] [--student ID] [--exercise NAME]

``make grade SUBMISSIONS=folder CHAPTER=1`` does the same. Every file in the folder (and
its sub-folders; hidden files aside) gets exactly one row of ``grades.csv`` in the output
folder (default: ``SUBMISSIONS-graded`` beside it), and a row of ``lms.csv`` (points per
exercise, for an LMS's gradebook), and each notebook a feedback file,
``feedback/<student>.txt``. A student's id is the file's path in the folder, without
``.ipynb``.

How a submission is graded, in three processes of which only the first two run any of
its code, each in the sandbox of ``grade_sandbox.py``: bubblewrap (new IPC, PID, network
and UTS namespaces, a read-only root of its own that holds only the Python environment,
``lib`` and a private tmpfs; a user id of its own and control groups when this runs as
root, a user namespace otherwise), with time, memory and file limits. Without bubblewrap
the grader stops, saying what is missing; only ``--unsandboxed``, by name, runs
submissions unprotected:

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
import base64
import csv
import dataclasses
import errno
import functools
import hashlib
import io
import json
import os
import queue
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
from grade_runner import MAX_ARRAY_BYTES, MAX_DEPTH, MAX_ITEMS, decode, encode  # noqa: E402
from grade_sandbox import become_subreaper, children, end_descendants  # noqa: E402

import lib  # noqa: E402
from lib.exercises import chapter_exercises  # noqa: E402
from lib.exercises.checker import (  # noqa: E402
    CORRECT,
    ERROR,
    NOT_ATTEMPTED,
    Outcome,
    Result,
    wrap,
)

#: The package ``lib`` that the grader imports (its checkers judge), and that the sandbox
#: shows: with an editable install, this clone's; in Gradescope's container, its copy.
LIB = Path(lib.__file__).resolve().parent
#: The largest notebook file that is read at all.
MAX_NOTEBOOK_BYTES = 20 * 2**20
#: The most characters of code a notebook may hold in all its code cells (the book's
#: chapters hold under 20,000), and the longest cell that is read for definitions.
MAX_CODE_CHARS, MAX_PARSED_CELL_CHARS = 500_000, 100_000
#: The most cells a notebook may hold (the book's chapters hold under 200): each cell costs
#: the grader some work to read and search for definitions, however short it is.
MAX_CELLS = 5_000
#: The longest event line, and the most bytes, that a child may send.
MAX_LINE_BYTES = 32 * 2**20
MAX_CHANNEL_BYTES = 256 * 2**20
#: The most JSON values (counted as the commas, braces and brackets of its lines) that a
#: child may send: each costs the grader up to ~300 bytes to read, 20 times its size on
#: the channel, so the byte limits alone let one submission hold gigabytes of the
#: grader's memory. The runner sends at most ``grade_runner.MAX_VALUES`` per answer.
MAX_CHANNEL_VALUES = 1_000_000
#: The bubblewrap program (the Debian package ``bubblewrap``).
BWRAP = "bwrap"
#: The first of the user ids that sandboxed processes run under, when grading as root.
UID_BASE = 2_000_000_000
#: The isolation levels: bubblewrap as root (a user id of its own per process, control
#: groups), bubblewrap as another user (a user namespace), and none at all (only when
#: asked for by name).
LEVELS = ("bwrap-root", "bwrap-user", "unsandboxed")
#: What an instructor passes to grade with no isolation at all.
UNSANDBOXED_FLAG = "--unsandboxed"
#: Where the two scripts of the sandbox are, inside it.
GRADER_DIR = "/run/grader"
#: Mini-batches per epoch of each training cell, frames of each animation and digits of
#: each shift measurement (:mod:`lib.invariance`), when the run step runs a notebook (the
#: quick run of :mod:`lib.training`): the run step only reports which cells raise, and
#: chapter 5's full training would cost minutes per student, chapter 4's measurements
#: over 1,000 digits ten seconds. ``--full-run`` turns it off.
QUICK_RUN_STEPS = 2


@dataclass
class Limits:
    """The limits of each sandboxed process (seconds and megabytes)."""

    run_seconds: float = 300  # the whole notebook, step 1
    startup_seconds: float = 120  # the imports of step 2
    exercise_seconds: float = 30  # one exercise's cell and all its cases, step 2
    memory_mb: int = 2048  # all its processes together (cgroup), and each one's address space
    tmp_mb: int = 256  # each of the tmpfs of /tmp and /dev/shm, the submission's folder included
    file_mb: int = 64  # the largest file it may write
    processes: int = 64  # processes and threads, all together
    cpus: float = 1.0  # CPU share of all its processes together (cgroup)


# --- points -----------------------------------------------------------------------------------

#: The folder of the chapters' points files (``chapterN.json``), which instructors edit.
SCHEMES = ROOT / "grading"


@dataclass
class Scheme:
    """How a chapter's exercises are scored.

    Parameters
    ----------
    points : dict
        Points of each exercise, by name.
    partial_credit : bool
        When True, a function that is not correct gets its points times the share of
        hidden cases it got right (when it ran on all of them without raising).
    """

    points: dict
    partial_credit: bool = False

    @property
    def total(self):
        return sum(self.points.values())


def load_scheme(chapter, path=None):
    """A chapter's :class:`Scheme`: from ``path``, else ``grading/chapterN.json`` when it
    exists, else each exercise's own points and no partial credit.

    The file is JSON: ``{"points": {"corner_value": 2, ...}, "partial_credit": false}``;
    an exercise it leaves out keeps its own points.

    Raises
    ------
    ValueError
        If the file names an exercise the chapter does not have, or gives points that
        are not a finite number >= 0, or ``partial_credit`` that is not true or false.
    """
    exercises = chapter_exercises(chapter)
    points = {e.name: float(e.points) for e in exercises}
    if path is None:
        number = str(chapter).split("_")[0].lstrip("0") or "0"
        default = SCHEMES / f"chapter{number}.json"
        path = default if default.is_file() else None
    if path is None:
        return Scheme(points)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"weights file {path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("points", {}), dict):
        raise ValueError(f"weights file {path}: must be an object with a 'points' object")
    for name, value in data.get("points", {}).items():
        if name not in points:
            raise ValueError(
                f"weights file {path}: chapter {chapter} has no exercise {name!r} "
                f"(it has {', '.join(points)})"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (0 <= value < float("inf"))
        ):
            raise ValueError(
                f"weights file {path}: the points of {name} must be a finite number >= 0, "
                f"not {value!r}"
            )
        points[name] = float(value)
    partial = data.get("partial_credit", False)
    if not isinstance(partial, bool):
        raise ValueError(f"weights file {path}: partial_credit must be true or false")
    return Scheme(points, partial)


# --- isolation -------------------------------------------------------------------------------


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be built on this machine: nothing is graded."""


def _missing(what):
    return SandboxUnavailable(
        f"cannot isolate the submissions: {what}. Install bubblewrap (Debian and Ubuntu: "
        "apt-get install bubblewrap) and check that it can create namespaces here "
        "(bwrap --unshare-all --ro-bind / / --proc /proc true). To run every submission "
        "with your own rights and no isolation at all, which lets a submission read and "
        "change your "
        f"files, pass {UNSANDBOXED_FLAG} (make grade ... UNSANDBOXED=1)."
    )


def detect_isolation(wanted="auto"):
    """The isolation level: bubblewrap as root or as another user, or none when asked.

    Parameters
    ----------
    wanted : {"auto", "bwrap-root", "bwrap-user", "unsandboxed"}
        ``auto`` picks ``bwrap-root`` when this runs as root, else ``bwrap-user``. There
        is no fallback: ``unsandboxed`` only when named.

    Raises
    ------
    SandboxUnavailable
        If bubblewrap is missing or cannot build its namespaces here; the message says
        what is missing and names the flag that grades without isolation.
    ValueError
        If ``wanted`` is not a level.
    """
    if wanted not in ("auto", *LEVELS):
        raise ValueError(f"isolation must be 'auto' or one of {LEVELS}, not {wanted!r}")
    if wanted == "unsandboxed":
        return wanted
    level = wanted if wanted != "auto" else ("bwrap-root" if os.geteuid() == 0 else "bwrap-user")
    if level == "bwrap-root" and os.geteuid() != 0:
        raise ValueError("isolation 'bwrap-root' needs the grader to run as root")
    program = shutil.which(BWRAP)
    if program is None:
        raise _missing(f"the program {BWRAP!r} (bubblewrap) is not on the PATH")
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    if level == "bwrap-user":
        namespaces.insert(0, "--unshare-user")
    try:
        probe = subprocess.run(
            [program, *namespaces, "--ro-bind", "/", "/", "--proc", "/proc", "true"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise _missing(f"bubblewrap could not be run ({error})") from None
    if probe.returncode != 0:
        detail = probe.stderr.decode(errors="replace").strip()[-300:]
        raise _missing(f"bubblewrap cannot create its namespaces here ({detail})")
    return level


def _dead(pid):
    """True when ``pid`` (text) is a process id that no process has now."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def sweep_stale_scratch(folder=None):
    """Remove the scratch folders (``convbook-grade-PID-*`` in the temporary folder) of
    grading runs whose process has ended without removing them."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob("convbook-grade-*-*"):
        if path.is_dir() and not path.is_symlink() and _dead(path.name.split("-")[2]):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


class Cgroups:
    """Control groups that limit all the processes of one sandboxed run together.

    Made under a folder of this grading run, in cgroup v2 (``/sys/fs/cgroup`` with
    controllers) or v1 (one hierarchy per controller); when neither can be written (not
    root, or no delegation), :attr:`available` is False and only the per-process limits
    hold.
    """

    V1 = ("memory", "pids", "cpu")

    def __init__(self, base="/sys/fs/cgroup"):
        self.base, self.roots, self.version = Path(base), [], None
        self.swept = self.sweep_stale(self.base)
        name = f"convbook-grade-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            if (self.base / "cgroup.controllers").is_file():
                root = self.base / name
                root.mkdir()
                self.roots, self.version = [root], 2
                (root / "cgroup.subtree_control").write_text("+memory +pids +cpu")
            elif all((self.base / c / "cgroup.procs").is_file() for c in self.V1):
                for controller in self.V1:
                    (self.base / controller / name).mkdir()
                    self.roots.append(self.base / controller / name)
                self.version = 1
        except OSError as error:
            self.error = f"{type(error).__name__}: {error}"
            self.remove()
            self.roots, self.version = [], None
        else:
            self.error = None if self.roots else "no cgroup hierarchy found"
        self.made = list(self.roots)  # what remove() removes, even after a refusal

    @staticmethod
    def sweep_stale(base):
        """Remove the groups of grading runs that ended without removing them (a grader
        killed with SIGKILL cannot): those whose grader's process id is no longer alive.
        Returns the folders removed."""
        removed = []
        for parent in [Path(base), *(Path(base) / c for c in Cgroups.V1)]:
            for root in parent.glob("convbook-grade-*-*") if parent.is_dir() else []:
                if not _dead(root.name.split("-")[2]):
                    continue
                for child in root.glob("run-*"):
                    Cgroups.end([child])
                try:
                    root.rmdir()
                    removed.append(str(root))
                except OSError:
                    pass
        return removed

    @property
    def available(self):
        return bool(self.roots)

    def create(self, number, limits):
        """The folders of one run's groups, with ``limits`` written; [] if unavailable."""
        if not self.available:
            return []
        folders = [root / f"run-{number}" for root in self.roots]
        try:
            self._limit(folders, limits)
        except OSError as error:  # this host refuses a setting: per-process limits only
            self.end([str(f) for f in folders])
            self.error = f"{type(error).__name__}: {error}"
            self.roots = []
            return []
        return [str(f) for f in folders]

    def _limit(self, folders, limits):
        memory = limits.memory_mb * 2**20
        period = 100_000
        quota = max(1000, int(period * limits.cpus))
        for folder in folders:
            folder.mkdir()
        if self.version == 2:
            folder = folders[0]
            settings = {
                "memory.max": memory,
                "memory.swap.max": 0,
                "pids.max": limits.processes,
                "cpu.max": f"{quota} {period}",
            }
        else:
            memory_folder, pids_folder, cpu_folder = folders
            settings = {}
            _write(memory_folder / "memory.limit_in_bytes", memory)
            _write(memory_folder / "memory.memsw.limit_in_bytes", memory, optional=True)
            _write(pids_folder / "pids.max", limits.processes)
            _write(cpu_folder / "cpu.cfs_period_us", period)
            _write(cpu_folder / "cpu.cfs_quota_us", quota)
        for key, value in settings.items():
            _write(folders[0] / key, value, optional=key == "memory.swap.max")

    @staticmethod
    def end(folders):
        """Kill every process left in the groups of one run, then remove them."""
        for folder in map(Path, folders):
            for _ in range(100):
                if (folder / "cgroup.kill").exists():
                    _write(folder / "cgroup.kill", 1, optional=True)
                try:
                    pids = (folder / "cgroup.procs").read_text().split()
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, PermissionError, ValueError):
                        pass
                time.sleep(0.02)
            try:
                folder.rmdir()
            except OSError:
                pass

    def remove(self):
        """Remove this grading run's groups (after every run has ended)."""
        for root in getattr(self, "made", self.roots):
            for child in root.glob("run-*"):
                self.end([child])
            try:
                root.rmdir()
            except OSError:
                pass


def _write(path, value, optional=False):
    try:
        Path(path).write_text(str(value))
    except OSError:
        if not optional:
            raise


def _root_entries():
    """bwrap arguments for the host's top-level system folders: /usr, and /bin, /lib...
    as the symbolic links or read-only binds that they are here."""
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        argv += ["--ro-bind-try", name, name]
    return argv


def bwrap_argv(level, mode, config, limits, mpl_cache=None):
    """The command line of bubblewrap for one sandboxed run (see ``grade_sandbox.py``).

    A root of its own, read-only: the host's ``/usr`` (shared libraries), the Python
    installation and the virtual environment, ``lib`` (in the ``check`` step without the
    chapters' checkers and their byte code), the two scripts of the sandbox and
    matplotlib's font cache; and size-limited tmpfs for ``/tmp`` and ``/dev/shm``.
    """
    program = shutil.which(BWRAP) or BWRAP
    tmp = str(limits.tmp_mb * 2**20)
    argv = [program]
    if level == "bwrap-user":
        argv += ["--unshare-user", "--disable-userns"]
    argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--hostname", "grading", "--die-with-parent"]
    argv += ["--new-session"]
    if level == "bwrap-root":  # the inner stage needs these three to give up root
        argv += ["--cap-drop", "ALL"]
        for capability in ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN"):
            argv += ["--cap-add", capability]
    argv += _root_entries()
    # The private /tmp and /dev/shm come before the binds: a repository or a virtual
    # environment that lies under /tmp (a CI clone, a test's folder) is then bound on top
    # of the empty tmpfs, instead of being hidden by it.
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", tmp, "--tmpfs", "/tmp"]
    argv += ["--perms", "1777", "--size", tmp, "--tmpfs", "/dev/shm"]
    binds = []  # (source, destination): the parents of each are made 0755 first
    python_dirs = sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)})
    for path in python_dirs:
        if not any(p != path and path.startswith(p + "/") for p in python_dirs):
            binds.append((path, path))
    if os.path.realpath(sys.prefix) != sys.prefix:
        binds.append((sys.prefix, sys.prefix))
    library = LIB  # the lib this process imports, where the runner will import it too
    binds.append((str(library), str(library)))
    # The saved full-scale runs that chapters 5 and 6 read (lib.reproduce.RESULTS_FILE):
    # published numbers, no secret; without them an honest notebook's cells would raise.
    saved_runs = library.parent / "results"
    if saved_runs.is_dir():
        binds.append((str(saved_runs), str(saved_runs)))
    mounted = {"/", "/tmp", "/dev", "/dev/shm", "/proc"}  # made above: keep their modes (1777)
    parents = {str(p) for _, d in binds for p in Path(d).parents if str(p) not in mounted}
    for parent in sorted(parents, key=lambda p: p.count("/")):
        argv += ["--perms", "0755", "--dir", parent]
    for source, destination in binds:
        argv += ["--ro-bind", source, destination]
    if mode == "check":  # the references of the checkers, which answers must not reach
        for path in sorted((library / "exercises").glob("chapter*.py")):
            argv += ["--ro-bind", "/dev/null", str(path)]
        for cache in sorted(library.rglob("__pycache__")):
            if cache.parent.name == "exercises":
                argv += ["--tmpfs", str(cache)]
    argv += ["--dir", GRADER_DIR]
    for script in ("grade_sandbox.py", "grade_runner.py"):
        argv += ["--ro-bind", str(TOOLS / script), f"{GRADER_DIR}/{script}"]
    if mpl_cache is not None:
        argv += ["--ro-bind", str(mpl_cache), f"{GRADER_DIR}/matplotlib"]
    argv += ["--remount-ro", "/", "--chdir", "/tmp", "--clearenv", "--setenv", "LANG", "C.UTF-8"]
    inner = {**config, "runner": f"{GRADER_DIR}/grade_runner.py"}
    return argv + [
        sys.executable,
        "-I",
        f"{GRADER_DIR}/grade_sandbox.py",
        "inner",
        json.dumps(inner),
    ]


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


#: The longest message from a sandboxed process that the grader keeps, and the longest
#: feedback file.
MAX_MESSAGE_CHARS, MAX_FEEDBACK_CHARS = 300, 20_000
#: The most errors of the run step that a row keeps (the feedback shows 20): a notebook
#: of 100,000 cells that each raise would otherwise put 30 MB into results.json.
MAX_RUN_ERRORS = 100
#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def clean(text, limit=MAX_MESSAGE_CHARS):
    r"""``text`` on one line, control characters escaped, at most ``limit`` characters.

    What a submission controls (its file name, an exception's type and message) must
    neither start a new line of feedback nor reach a terminal as an escape code.

    Examples
    --------
    >>> clean("Oops\nScore: 6 / 6\x1b[2J")
    'Oops\\nScore: 6 / 6\\x1b[2J'
    >>> clean("x" * 10, limit=5)
    'xxxx…'
    """
    text = str(text)
    out = []
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            escaped = character.encode("unicode_escape").decode("ascii")
            out.append(escaped if escaped != character else f"\\u{ord(character):04x}")
        else:
            out.append(character)
    text = "".join(out)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def csv_cell(value):
    """A table cell that no spreadsheet runs as a formula: :func:`clean`, then a ``'``
    before a leading ``=``, ``+``, ``-``, ``@`` (OWASP's advice for CSV injection)."""
    text = clean(value, limit=1000)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Child:
    """One sandboxed runner: send it a request, read its events against deadlines."""

    #: The process ids of the runners not yet waited for: never swept as strays.
    live = set()

    def __init__(self, argv, request, cwd, cgroups=(), spare=None):
        self.cgroups = list(cgroups)
        # When not None (unsandboxed: see Grader.__init__), this process is a subreaper,
        # and these were its children before grading: what else is its child at the end
        # of a run is an orphan that a submission left behind.
        self.spare = spare
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        Child.live.add(self.proc.pid)
        self.events = queue.Queue()
        self.stderr = b""
        self.killed_for = None
        # Each event must carry this: lines written blindly to the channel are ignored.
        self.nonce = secrets.token_hex(16)
        payload = json.dumps({**request, "nonce": self.nonce}).encode()
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
        total = values = 0
        try:
            while True:
                line = self.proc.stdout.readline(MAX_LINE_BYTES)
                total += len(line)
                if not line:
                    break
                # Counted before parsing: a line is read only if the budget allows it.
                values += line.count(b",") + line.count(b"{") + line.count(b"[")
                if (
                    total > MAX_CHANNEL_BYTES
                    or values > MAX_CHANNEL_VALUES
                    or not line.endswith(b"\n")
                ):
                    self.events.put({"event": "_flood"})
                    break
                try:
                    event = json.loads(line)
                except (ValueError, RecursionError):
                    continue  # not an event (or nested too deep to read): ignore it
                if isinstance(event, dict) and event.pop("n", None) == self.nonce:
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
        try:  # anything it started in its session (unsandboxed) goes too
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        Child.live.discard(self.proc.pid)
        if self.spare is not None:  # and, unsandboxed, what left the session (orphans are
            end_descendants(spare=self.spare | Child.live)  # reparented to this process)
        if self.cgroups:  # and anything left in its control groups
            Cgroups.end(self.cgroups)
            self.cgroups = []

    def ending(self):
        """How the process ended, in words."""
        self.finish()
        return describe_exit(self.proc.returncode, self.killed_for)


def _npy_fits(raw):
    """True when ``.npy`` bytes hold exactly the data their header announces."""
    buffer = io.BytesIO(raw)
    version = np.lib.format.read_magic(buffer)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(buffer)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(buffer)
    count = 1
    for length in shape:
        count *= int(length)
    return dtype.kind in "biufc" and count * dtype.itemsize == len(raw) - buffer.tell()


def safe_decode(data, depth=0):
    """:func:`grade_runner.decode`, for data that a submission may have forged.

    An array whose header announces more than its data holds, a structure nested or
    wider than the runner ever sends, or anything that makes decoding fail comes back
    as an opaque "malformed" value, which the checkers judge a wrong type.
    """
    try:
        if depth > MAX_DEPTH + 2 or not isinstance(data, dict):
            return decode({"t": "malformed"})
        if data.get("t") in ("ndarray", "scalar"):
            raw = base64.b64decode(str(data.get("npy", ""))[: 2 * MAX_ARRAY_BYTES], validate=True)
            if len(raw) > MAX_ARRAY_BYTES + 1024 or not _npy_fits(raw):
                return decode({"t": "malformed"})
        elif data.get("t") in ("list", "tuple"):
            items = data.get("items")
            if not isinstance(items, list) or len(items) > MAX_ITEMS:
                return decode({"t": "malformed"})
            for item in items:
                if safe_decode(item, depth + 1).__class__.__name__ == "malformed":
                    return decode({"t": "malformed"})
        return decode(data)
    except Exception:  # MemoryError, RecursionError, and whatever numpy raises
        return decode({"t": "malformed"})


# --- reading a submission ---------------------------------------------------------------------


class Unreadable(Exception):
    """A submitted file that is not a notebook this grader can read."""


def _read_inside(path, root=None):
    """The bytes of the regular file ``path``, opened without following a symbolic link
    anywhere below ``root`` (or at its last step) and without blocking on a FIFO.

    The folder was listed before grading began: a folder of ``path`` that has become a
    link since (to the instructor's ``chapters/``, say) must not be read through, nor a
    file that has become a FIFO wait forever.
    """
    path = Path(path)
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    directory = os.open(root if root is not None else path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            os.close(directory)
            directory = inner
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
        descriptor = os.open(parts[-1], flags, dir_fd=directory)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Unreadable("a symbolic link on its path: not followed") from None
        raise
    finally:
        os.close(directory)
    with open(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable("not a regular file")
        if status.st_size > MAX_NOTEBOOK_BYTES:
            raise Unreadable(
                f"too large ({status.st_size} bytes; the limit is {MAX_NOTEBOOK_BYTES})"
            )
        return file.read(MAX_NOTEBOOK_BYTES + 1)


def read_notebook(path, root=None):
    """Read a submitted notebook; raise :class:`Unreadable` with the reason.

    ``root`` is the submissions folder: no symbolic link below it is followed.
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
    raw = _read_inside(path, root)
    if len(raw) > MAX_NOTEBOOK_BYTES:  # it grew since
        raise Unreadable(f"too large (more than {MAX_NOTEBOOK_BYTES} bytes)")
    try:
        text = raw.decode("utf-8")
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
    if len(data["cells"]) > MAX_CELLS:
        raise Unreadable(f"it holds {len(data['cells'])} cells; the limit is {MAX_CELLS}")
    code = 0
    for cell in data["cells"]:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        if isinstance(source, list):
            source = "".join(line for line in source if isinstance(line, str))
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and isinstance(source, str):
            code += len(source)
    if code > MAX_CODE_CHARS:
        raise Unreadable(f"its code cells hold {code} characters; the limit is {MAX_CODE_CHARS}")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:  # nbformat's many ways of refusing a file: read the cells alone
        pass
    else:
        cells = nb.get("cells", [])
        if all(isinstance(c, dict) and isinstance(c.get("source"), str) for c in cells):
            # Counted again on what nbformat made: a version-3 notebook keeps its cells
            # in "worksheets", which the count above never sees.
            code = sum(len(c["source"]) for c in cells if c.get("cell_type") == "code")
            if len(cells) > MAX_CELLS:
                raise Unreadable(f"it holds {len(cells)} cells; the limit is {MAX_CELLS}")
            if code > MAX_CODE_CHARS:
                raise Unreadable(
                    f"its code cells hold {code} characters; the limit is {MAX_CODE_CHARS}"
                )
            return nb
        # a cell without a source (nbformat only warns): read the cells alone
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


@functools.lru_cache(maxsize=256)
def _parse(source):
    """The module AST of a cell, IPython magics and shell lines blanked; None if none.

    Each cell is parsed once (the result is cached), and only up to
    :data:`MAX_PARSED_CELL_CHARS` characters.
    """
    if len(source) > MAX_PARSED_CELL_CHARS:
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


def other_definitions(nb, name, where):
    """The positions of the code cells, other than the answer cell ``where`` (as
    :func:`answer_cells` gives it), that define ``name`` at their top level: an answer a
    student wrote in a cell of their own, which is not graded while the answer cell
    exists."""
    if not where or where[2] != "its answer cell":
        return []
    return [
        i
        for i, c in enumerate(nb.cells)
        if i != where[0] and c.cell_type == "code" and defines(c.source, name)
    ]


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


# Names through which a cell can reach a global it never spells out: with any of them in
# an answer cell, the check step keeps every import, as the notebook had them.
_INDIRECT_NAMES = frozenset(
    {"eval", "exec", "globals", "vars", "locals", "__import__", "get_ipython"}
)


def _needed_part(statement, read):
    """The part of an import statement that binds a name in ``read``: the statement
    itself, the same statement with fewer names (``from lib import conv2d, setup_notebook``
    becomes ``from lib import conv2d`` when only ``conv2d`` is read), or None when it binds
    none of them. A star import, or a statement that cannot be parsed, is kept whole."""
    tree = _parse(statement)
    node = tree.body[0] if tree is not None and len(tree.body) == 1 else None
    if not isinstance(node, ast.Import | ast.ImportFrom):
        return statement
    if any(alias.name == "*" for alias in node.names):
        return statement
    kept = [alias for alias in node.names if (alias.asname or alias.name.split(".")[0]) in read]
    if not kept:
        return None
    if len(kept) == len(node.names):
        return statement
    # A copy with fewer names: _parse's tree is cached, and must stay as it was.
    if isinstance(node, ast.Import):
        return ast.unparse(ast.Import(names=kept))
    return ast.unparse(ast.ImportFrom(module=node.module, names=kept, level=node.level))


def imports_needed(prelude, answer_sources):
    """The import statements of ``prelude`` that bind a name the answer cells read,
    each cut down to those names.

    The check step runs only the answer cells, so it needs only the imports they use:
    skipping the others (torch, matplotlib, scikit-image, in most chapters) saves seconds
    per submission. An imported name is kept when it is read anywhere in the answer
    cells, function bodies included, where Python looks names up when they run; a
    statement that binds several names keeps only those (``setup_notebook``, which
    imports torch and matplotlib, goes from ``from lib import conv2d, setup_notebook``);
    every import is kept whole when a cell cannot be parsed or reaches names indirectly
    (``eval``, ``globals``, ...). An answer therefore finds each name the notebook gave
    it, as the notebook's own ``check()`` does.

    Examples
    --------
    >>> imports_needed(["import numpy as np", "import torch"], ["f = lambda x: np.sum(x)"])
    ['import numpy as np']
    >>> imports_needed(["import numpy as np", "import torch"], ["f = eval('torch')"])
    ['import numpy as np', 'import torch']
    >>> imports_needed(["from lib import conv2d, pad2d, setup_notebook"], ["g = conv2d"])
    ['from lib import conv2d']
    """
    read = set()
    for source in answer_sources:
        tree = _parse(source)
        if tree is None:
            return list(prelude)
        read |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if read & _INDIRECT_NAMES:
        return list(prelude)
    kept = [_needed_part(statement, read) for statement in prelude]
    return [statement for statement in kept if statement is not None]


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
        value=safe_decode(data["value"]) if "value" in data else None,
        raised=clean(data["raised"]) if "raised" in data else None,
        not_implemented=bool(data.get("not_implemented")),
        mutated=bool(data.get("mutated")),
        not_callable=clean(data["not_callable"], 200) if "not_callable" in data else None,
    )


@dataclass
class CheckRecord:
    """What the check step saw of one exercise."""

    outcomes: list = field(default_factory=list)
    cell_error: str | None = None
    missing: bool = False
    stopped: str | None = None  # why the process ended during it
    done: bool = False
    origin: str | None = None  # the module of a function answer, when not the notebook's


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
    quick_run: int | None = None  # mini-batches per epoch of the run step's training
    flags: list = field(default_factory=list)  # for the instructor to decide
    scores: dict = field(default_factory=dict)  # points earned, by exercise


class Grader:
    """Grades one chapter's submissions; see the module's docstring.

    Parameters
    ----------
    chapter : int or str
        The chapter, as :func:`lib.exercises.chapter_exercises` takes it.
    limits : Limits, optional
    isolation : {"auto", "bwrap-root", "bwrap-user", "unsandboxed"}, optional
        See :func:`detect_isolation`; there is no silent fallback.
    jobs : int, optional
        How many submissions are graded at the same time.
    run_notebook : bool, optional
        Whether to run each notebook top to bottom (step 1). Default True.
    quick_run : int or None, optional
        Mini-batches per epoch of every training loop in step 1 (see
        :data:`QUICK_RUN_STEPS`); None trains fully. Default :data:`QUICK_RUN_STEPS`.
    watch : list of Path, optional
        Folders whose files must not change while submissions run; a change is reported.
        Default: the submissions, ``lib`` and ``tools``.
    scheme : Scheme, optional
        Points and partial credit; default :func:`load_scheme` of the chapter.
    """

    def __init__(
        self,
        chapter,
        *,
        limits=None,
        isolation="auto",
        jobs=2,
        run_notebook=True,
        quick_run=QUICK_RUN_STEPS,
        watch=None,
        scheme=None,
    ):
        self.exercises = chapter_exercises(chapter)
        self.scheme = scheme or load_scheme(chapter)
        self.only_exercises = None  # a regrade of some exercises: their names
        self.todo_count = 0  # the files the last grade() graded (a regrade: some)
        self.chapter = chapter
        self.limits = limits or Limits()
        self.level = detect_isolation(isolation)
        self.spare_children = None
        if self.level == "unsandboxed":
            # No PID namespace to end a submission's processes with: make this process
            # the one that inherits the orphans, so that a daemon that left its session
            # is still found and ended when its run ends (Child.finish).
            become_subreaper()
            self.spare_children = set(children())
        self.jobs = max(1, int(jobs))
        self.run_notebook = run_notebook
        self.quick_run = quick_run
        self.watch = watch
        self._ids = count()
        self.mpl_cache = None
        self.scratch_root = None
        self.cgroups = None
        # The secret: drawn now, kept in this process's memory only.
        seed = secrets.randbits(64)
        self.cases = {e.name: e.cases(seed=(seed, index)) for index, e in enumerate(self.exercises)}
        self.encoded = {
            name: [[encode(arg) for arg in case.args] for case in cases]
            for name, cases in self.cases.items()
        }

    @property
    def limited(self):
        """Where the memory, process and CPU limits held, in words (after :meth:`grade`)."""
        groups = self.cgroups
        if groups is not None and groups.available:
            return f"cgroup v{groups.version}, for each submission as a whole"
        if groups is not None:
            return f"per process only (no cgroups: {groups.error})"
        return "per process only"

    # -- the sandbox

    def _start(self, mode, request, scratch):
        timeout = self.limits.run_seconds if mode == "run" else self._check_budget(request)
        number = next(self._ids)
        config = {
            "mode": mode,
            "python": sys.executable,
            "runner": str(TOOLS / "grade_runner.py"),
            "uid": UID_BASE + (os.getpid() % 10_000) * 100_000 + number
            if self.level == "bwrap-root"
            else None,
            "memory_bytes": self.limits.memory_mb * 2**20,
            "file_bytes": self.limits.file_mb * 2**20,
            "processes": self.limits.processes,
            "cpu_seconds": int(timeout) + 10,
            # the run step only looks for cells that raise: training cells train briefly
            "quick_run": self.quick_run if mode == "run" else None,
        }
        script = [sys.executable, "-I", str(TOOLS / "grade_sandbox.py")]
        if self.level == "unsandboxed":
            config["scratch"] = str(scratch)
            config["mpl_cache"] = str(self.mpl_cache) if self.mpl_cache else None
            argv = [*script, "unsandboxed", json.dumps(config)]
            return Child(argv, request, cwd=scratch, spare=self.spare_children)
        groups = self.cgroups.create(number, self.limits) if self.cgroups else []
        config["cgroups"] = groups
        config["bwrap"] = bwrap_argv(self.level, mode, config, self.limits, self.mpl_cache)
        return Child([*script, "outer", json.dumps(config)], request, cwd=scratch, cgroups=groups)

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
        child = self._start("run", {"cells": [[0, "import lib"]]}, scratch)
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
            raise _missing(
                f"the sandbox ({self.level}) could not run `import lib` "
                f"({events or ending}; {detail})"
            )

    # -- step 1: run the notebook

    def run_step(self, nb, scratch, submissions, out, row):
        cells = [[i, c.source] for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        if not cells:
            row.notebook_run = "no code cells"
            return
        child = self._start("run", {"cells": cells}, scratch)
        row.quick_run = self.quick_run
        deadline = time.monotonic() + self.limits.run_seconds
        expected = [position for position, _ in cells]
        seen, done, stopped, errors = 0, False, None, 0
        try:
            while (event := child.event(deadline)) is not None:
                kind = event.get("event")
                if (
                    kind == "cell"
                    and seen < len(expected)
                    and event.get("position") == expected[seen]
                ):
                    if event.get("error"):
                        errors += 1
                        if len(row.run_errors) < MAX_RUN_ERRORS:  # counted, not all kept
                            row.run_errors.append((expected[seen], clean(event["error"])))
                    seen += 1
                elif kind == "done" and seen == len(expected):
                    done = True
                    # Nothing more is read: a thread or atexit handler that keeps the
                    # process alive after its last cell must not hold the grader to
                    # the time limit.
                    child.kill()
                    break
        except TimeoutError:
            child.kill(f"the time limit ({self.limits.run_seconds:g} s)")
        ending = child.ending()
        if not done:
            stopped = ending
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
        for name in records:  # not regraded: its cell runs, for what later answers use
            if self.only_exercises is not None and name not in self.only_exercises:
                records[name].done = True
        prelude = imports_needed(imports_of(nb), [found[1] for found in cells.values()])
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
            if self.only_exercises is not None and name not in self.only_exercises:
                continue
            where = cells.get(name)
            if where and where[2] != "its answer cell":
                row.notes.append(
                    f"{name}: no cell has the grade_id {exercise.label}; graded {where[2]} "
                    f"(cell {where[0] + 1})."
                )
            result = self.judge(exercise, records[name], where is not None)
            # A verdict quotes what the answer was (a tuple of 10,000 long strings, a
            # type's 10 MB name): kept as the feedback shows it, not megabytes per row.
            result = dataclasses.replace(result, message=clean(result.message, 2000))
            result, row.scores[name] = self.score(exercise, result, records[name])
            row.results.append(result)
            elsewhere = other_definitions(nb, name, where)
            if result.status == NOT_ATTEMPTED and elsewhere:
                row.notes.append(
                    f"{name}: its answer cell (cell {where[0] + 1}) still holds the stub, but "
                    f"cell {elsewhere[-1] + 1} also defines {name}; only the answer cell is "
                    "graded: move the answer into it."
                )
            if records[name].origin is not None:
                row.flags.append(
                    f"{name} is a function of the module {records[name].origin}, not one "
                    "written in the notebook: read the answer and decide."
                )

    def _check_once(self, request, pending, records, scratch, submissions, out):
        child = self._start("check", request, scratch)
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
                    records[current].cell_error = clean(event.get("error"))
                elif kind == "missing":
                    records[current].missing = True
                elif kind == "origin" and isinstance(event.get("module"), str):
                    records[current].origin = clean(event["module"], 200)
                elif kind == "end":
                    records[current].done = True
                    current, position = None, position + 1
                    deadline = time.monotonic() + self.limits.exercise_seconds
                    if position == len(names):  # all checked: what lingers is ended
                        child.kill()
                        break
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

    def score(self, exercise, result, record):
        """The result with the scheme's points, and the points it earns.

        With partial credit, a function that ran on every hidden case without raising
        earns its points times the share of cases it got right (each case judged alone).
        """
        points = self.scheme.points[exercise.name]
        shown = dataclasses.replace(result, points=points)
        if result.status == CORRECT:
            return shown, points
        if not self.scheme.partial_credit or exercise.kind != "function":
            return shown, 0.0
        cases = self.cases[exercise.name]
        outcomes = record.outcomes
        if record.stopped or len(outcomes) != len(cases) or not cases:
            return shown, 0.0
        passed = 0
        for case, outcome in zip(cases, outcomes, strict=True):
            if "value" not in outcome:
                return shown, 0.0
            decoded = Outcome(
                value=safe_decode(outcome["value"]),
                raised=None,
                not_implemented=False,
                mutated=bool(outcome.get("mutated")),
            )
            try:
                passed += exercise.judge([case], [decoded]).status == CORRECT
            except Exception:
                pass
        if passed == 0:
            return shown, 0.0
        earned = points * passed / len(cases)
        message = f"{result.message} Partial credit: {passed} of {len(cases)} hidden cases right."
        return dataclasses.replace(result, message=message, points=points), earned

    # -- one submission, and all of them

    def grade_one(self, path, folder, out, scratch_root, row):
        """Grade one file into ``row``; every failure becomes the row's reason."""
        try:
            nb = read_notebook(path, root=folder)
        except (Unreadable, OSError) as error:
            row.reason = f"unreadable: {error}"
            return
        scratch = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch_root))
        try:
            if self.run_notebook and self.only_exercises is None:
                self.run_step(nb, scratch, folder, out, row)
            self.check_step(nb, scratch, folder, out, row)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def grade(self, folder, out, students=None, exercises=None):
        """Grade the files of ``folder``; write ``grades.csv``, ``lms.csv``, ``feedback/``
        and ``results.json`` (what a later regrade starts from) in ``out``.

        Parameters
        ----------
        folder, out : Path
        students : list of str, optional
            Regrade only these students (ids or file names); the others keep their rows
            from the earlier grading in ``out``.
        exercises : list of str, optional
            Regrade only these exercises (without the notebook's run); the other
            exercises keep their verdicts from the earlier grading in ``out``.

        Returns
        -------
        list of Row
            One per submitted file, in the order of the table.

        Raises
        ------
        ValueError
            If a regrade names a student or an exercise that does not exist, or ``out``
            holds no earlier grading to update.
        """
        folder, out = Path(folder).resolve(), Path(out).resolve()
        if not folder.is_dir():
            raise NotADirectoryError(f"no such folder of submissions: {folder}")
        if out == folder or folder in out.parents:
            raise ValueError("the output folder must not be inside the submissions folder")
        files, skipped = submitted_files(folder)
        rows = [Row(file=f, student=student_id(f)) for f in files]
        distinct_ids(rows)
        previous, todo = None, rows
        if students or exercises:
            previous = read_rows(out)
            check_previous(previous, out, self.chapter, self.scheme, self.exercises)
            names = [e.name for e in self.exercises]
            for name in exercises or []:
                if name not in names:
                    raise ValueError(
                        f"exercises: chapter {self.chapter} has no exercise {name!r} "
                        f"(it has {', '.join(names)})"
                    )
            self.only_exercises = set(exercises) if exercises else None
            if students:
                known = {r.student for r in rows} | {r.file for r in rows}
                for name in students:
                    if name not in known:
                        raise ValueError(f"students: no submitted file is {name!r}")
                todo = [r for r in rows if r.student in students or r.file in students]
        self.todo_count = len(todo)
        for row in todo:
            row.reason = "not graded: the grading run was interrupted"
        watched = [folder, LIB, ROOT / "tools"] if self.watch is None else self.watch
        started = time.monotonic()
        sweep_stale_scratch()
        scratch_root = Path(tempfile.mkdtemp(prefix=f"convbook-grade-{os.getpid()}-"))
        self.scratch_root = scratch_root
        if self.level == "bwrap-root":
            self.cgroups = Cgroups()
        try:
            if not todo:  # nothing to grade: no sandbox to start
                return self._finish(rows, skipped, started)
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
                list(pool.map(work, todo))
        finally:
            if self.cgroups is not None:
                self.cgroups.remove()
            shutil.rmtree(scratch_root, ignore_errors=True)
            if previous is not None:
                rows = merge_rows(rows, todo, previous, self.only_exercises, self.exercises)
            write_results(rows, self.exercises, out, self.level, self.chapter, self.scheme)
        return self._finish(rows, skipped, started)

    def _finish(self, rows, skipped, started):
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


def distinct_ids(rows):
    """Make the rows' student ids distinct, ignoring case, as an LMS matches them.

    ``alice.ipynb``, ``alice.IPYNB`` and a file ``alice`` would all be the student
    ``alice``: three rows of ``lms.csv`` for one student, of which a gradebook keeps one.
    Files whose ids collide keep their whole file name as their id instead, so that none
    of them matches the student by mistake, and their row says why.

    Examples
    --------
    >>> rows = [Row(file=f, student=student_id(f)) for f in ("alice", "alice.ipynb", "bob.ipynb")]
    >>> distinct_ids(rows)
    >>> [row.student for row in rows]
    ['alice', 'alice.ipynb', 'bob']
    """
    for _ in range(len(rows)):
        by_id = {}
        for row in rows:
            by_id.setdefault(row.student.casefold(), []).append(row)
        colliding = [row for same in by_id.values() if len(same) > 1 for row in same]
        renamed = [row for row in colliding if row.student != row.file]
        if not renamed:
            return
        for row in renamed:
            row.flags.append(
                f"Its student id {row.student!r} was also another file's (ignoring case): "
                f"its id is its file name, {row.file!r}, instead; match it to the student "
                "by hand."
            )
            row.student = row.file


def snapshot(folders):
    """``{path: state}`` of every file under ``folders`` (caches and byte code aside).

    A file's state is its size, inode and change time (``st_ctime_ns``, which every
    write moves and no program can set back), read without opening it: a huge or
    sparse file costs no more than a small one.
    """
    states = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if "__pycache__" in path.parts:
                continue
            try:
                status = path.lstat()
            except OSError:
                states[str(path)] = "unreadable"
                continue
            if stat.S_ISREG(status.st_mode):
                states[str(path)] = (status.st_size, status.st_ino, status.st_ctime_ns)
    return states


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
        if len(base) > 80:  # a file name has at most 255 bytes: keep it short, and unique
            digest = hashlib.sha256(row.student.encode("utf-8", "replace")).hexdigest()[:10]
            base = f"{base[:60]}-{digest}"
        name, number = base, 2
        while name.lower() in used:
            name, number = f"{base}-{number}", number + 1
        used.add(name.lower())
        names.append(name + ".txt")
    return names


def row_data(row):
    """A :class:`Row` as JSON data (``results.json``)."""
    return {
        "file": row.file,
        "student": row.student,
        "results": [[r.exercise, r.status, r.message, r.points] for r in row.results],
        "scores": row.scores,
        "notebook_run": row.notebook_run,
        "reason": row.reason,
        "notes": row.notes,
        "run_errors": [list(e) for e in row.run_errors],
        "quick_run": row.quick_run,
        "flags": row.flags,
    }


def read_rows(out):
    """The rows of the earlier grading in ``out`` (its ``results.json``), by file.

    Raises
    ------
    ValueError
        If ``out`` holds no readable ``results.json``.
    """
    path = Path(out) / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = {}
        for item in data["rows"]:
            row = Row(file=item["file"], student=item["student"])
            row.results = [Result(*result) for result in item["results"]]
            row.scores = {k: float(v) for k, v in item["scores"].items()}
            row.notebook_run, row.reason = item["notebook_run"], item["reason"]
            row.notes, row.flags = list(item["notes"]), list(item["flags"])
            row.run_errors = [tuple(e) for e in item["run_errors"]]
            row.quick_run = item.get("quick_run")
            rows[row.file] = row
        return rows
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"out: no earlier grading to update in {out} ({type(error).__name__}); "
            "grade the whole class into it first"
        ) from None


def scheme_data(scheme, exercises):
    """The points of every exercise and the partial-credit setting, as JSON data."""
    scheme = scheme or Scheme({e.name: float(e.points) for e in exercises})
    points = {name: float(value) for name, value in sorted(scheme.points.items())}
    return {"points": points, "partial_credit": bool(scheme.partial_credit)}


def _chapter_number(chapter):
    return str(chapter).split("_")[0].lstrip("0") or "0"


def check_previous(previous, out, chapter, scheme, exercises):
    """Refuse to regrade into an earlier grading that this grading would mix up with.

    ``results.json`` must be of the same chapter (a regrade of chapter 2 into chapter 1's
    folder would give the other rows chapter 1's verdicts under chapter 2's columns); it
    must have scored with the same points and partial credit (the rows kept were scored
    by the earlier ones, and the table would mix two ways of scoring); and each kept score
    must be a score of those points: a finite number between 0 and the exercise's points,
    of an exercise of the chapter (a score edited to 100, or NaN, would go into the table
    and the LMS's total as it is).

    Raises
    ------
    ValueError
        Saying which rule the earlier grading breaks.
    """
    path = Path(out) / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    recorded = data.get("chapter") if isinstance(data, dict) else None
    if recorded is None or _chapter_number(recorded) != _chapter_number(chapter):
        raise ValueError(
            f"out: {path} is the grading of chapter {recorded!r}, not of chapter {chapter}; "
            "regrade into the folder of the same chapter"
        )
    earlier = data.get("scheme")
    if not isinstance(earlier, dict):
        raise ValueError(
            f"out: the grading in {out} does not record its points and partial credit "
            "(it was made by an older grader), so a regrade could mix two ways of scoring; "
            "grade the whole class again"
        )
    now = scheme_data(scheme, exercises)
    if earlier != now:
        points = earlier.get("points") if isinstance(earlier.get("points"), dict) else {}
        changed = sorted(
            str(name)
            for name in set(points) | set(now["points"])
            if points.get(name) != now["points"].get(name)
        )
        what = ["the points of " + clean(", ".join(changed), 300)] if changed else []
        if earlier.get("partial_credit") != now["partial_credit"]:
            what.append(
                f"partial credit ({'on' if earlier.get('partial_credit') else 'off'} then, "
                f"{'on' if now['partial_credit'] else 'off'} now)"
            )
        raise ValueError(
            f"a regrade must score as the grading it updates, or the table mixes two ways "
            f"of scoring; {' and '.join(what) or 'the scoring'} differ from the grading in "
            f"{out}: pass the same --weights file and --partial-credit setting, or grade "
            "the whole class again"
        )
    names = {e.name for e in exercises}
    for row in previous.values():
        for name, value in row.scores.items():
            if name not in names or not (0 <= value <= scheme.points[name]):
                raise ValueError(
                    f"out: {path} gives {clean(row.file, 200)} {value!r} points for "
                    f"{clean(name, 100)}, which is not a score of chapter {chapter} with "
                    "these points (edited by hand?); grade the whole class again"
                )


def merge_rows(rows, todo, previous, only_exercises, exercises):
    """The table after a regrade: new rows for ``todo``, earlier ones for the others."""
    regraded = {id(row) for row in todo}
    merged = []
    for row in rows:
        old = previous.get(row.file)
        if id(row) not in regraded:
            if old is None:
                row.reason = "not graded: new since the last grading, and not named"
                merged.append(row)
            else:
                merged.append(old)
            continue
        if only_exercises is None or old is None:
            merged.append(row)
            continue
        new = {r.exercise: r for r in row.results}
        old_results = {r.exercise: r for r in old.results}
        row.results = [
            new.get(e.name, old_results.get(e.name))
            for e in exercises
            if e.name in new or e.name in old_results
        ]
        row.scores = {**old.scores, **row.scores}
        row.notebook_run, row.run_errors = old.notebook_run, old.run_errors
        row.quick_run = old.quick_run

        def kept(text):
            return not any(text.startswith(f"{name}") for name in only_exercises)

        row.notes = [n for n in old.notes if kept(n)] + row.notes
        row.flags = [f for f in old.flags if kept(f)] + row.flags
        merged.append(row)
    return merged


def write_results(rows, exercises, out, level, chapter, scheme=None):
    """Write ``grades.csv`` (one row per submitted file), ``lms.csv``, ``feedback/`` and
    ``results.json``.

    Every cell of the tables goes through :func:`csv_cell`, every line of feedback
    through :func:`clean`; a feedback file that cannot be written costs that file only
    (the table's ``reason`` says so).
    """
    scheme = scheme or Scheme({e.name: float(e.points) for e in exercises})
    out.mkdir(parents=True, exist_ok=True)
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    total = scheme.total
    names = [e.name for e in exercises]
    for row, name in zip(rows, feedback_names(rows), strict=True):
        try:
            (feedback / name).write_text(
                feedback_text(row, total, level, chapter), encoding="utf-8"
            )
        except (OSError, ValueError) as error:
            row.reason = (row.reason + "; " if row.reason else "") + (
                f"its feedback file could not be written ({type(error).__name__})"
            )
    header = ["file", "student", "score", "max_score", *names, "notebook_run", "reason", "flags"]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            statuses = {r.exercise: r.status for r in row.results}
            cells = [row.file, row.student, f"{sum(row.scores.values()):g}", f"{total:g}"]
            cells += [statuses.get(n, "") for n in names]
            cells += [row.notebook_run, row.reason, "; ".join(row.flags)]
            writer.writerow([csv_cell(cell) for cell in cells])
    write_lms(rows, names, out / "lms.csv", chapter, scheme)
    data = {
        "chapter": str(chapter),
        "scheme": scheme_data(scheme, exercises),
        "rows": [row_data(row) for row in rows],
    }
    temporary = out / "results.json.tmp"
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, out / "results.json")


def write_lms(rows, names, path, chapter, scheme):
    """``lms.csv``: one row per student, one column of points per exercise, and the total,
    in the columns of Canvas's gradebook import (``Student``, ``ID``, ``SIS User ID``,
    ``SIS Login ID``, ``Section``, then one column per grade); Moodle's import maps the
    ``SIS Login ID`` column (the student's id here) to a user field and each other
    column to a grade item."""
    title = f"Chapter {chapter}"
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += [f"{title}: {n} ({scheme.points[n]:g})" for n in names]
    header += [f"{title} ({scheme.total:g})"]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            points = [f"{row.scores.get(n, 0.0):g}" for n in names]
            cells = [row.student, "", "", row.student, "", *points]
            cells.append(f"{sum(row.scores.values()):g}")
            writer.writerow([csv_cell(cell) for cell in cells])


def feedback_text(row, total, level, chapter):
    """The feedback file of one submission, at most :data:`MAX_FEEDBACK_CHARS` long."""
    score = sum(row.scores.values())
    lines = [
        f"Chapter {chapter}: feedback for {clean(row.student, 400)} ({clean(row.file, 400)})",
        f"Score: {score:g} / {total:g}",
        "",
    ]
    if row.reason:
        lines += [wrap(f"Note: {clean(row.reason, 2000)}"), ""]
    for r in row.results:
        message = clean(r.message, 2000)
        earned = row.scores.get(r.exercise, 0.0)
        advice = clean(r.advice, 500)
        lines += [wrap(f"{r.exercise} ({earned:g} / {r.points:g}): {message}{advice}"), ""]
    lines += [wrap(f"Note: {clean(note, 2000)}") for note in row.notes + row.flags]
    if row.notebook_run:
        lines += [
            "",
            wrap(
                "Your notebook, run top to bottom in the grading sandbox: "
                f"{clean(row.notebook_run, 600)}."
                + (
                    f" (In this run, training stops after {row.quick_run} mini-batches per "
                    f"epoch, animations after {row.quick_run} frames and shift measurements "
                    f"after {row.quick_run} digits: it only looks for cells that raise, and "
                    "no score depends on it.)"
                    if row.quick_run
                    else ""
                )
            ),
        ]
        lines += [
            f"    cell {position + 1}: {clean(error)}" for position, error in row.run_errors[:20]
        ]
    body = "\n".join(lines)
    if len(body) > MAX_FEEDBACK_CHARS:
        body = body[:MAX_FEEDBACK_CHARS] + "\n[... feedback cut here: it was too long]"
    tail = [
        "",
        "How this was graded: each answer cell was run on its own, after the notebook's",
        "import statements and the answer cells above it, and each answer was checked on",
        "hidden cases, different from the ones of the notebook's checks.",
        f"(Isolation level of the grading sandbox: {level}.)",
    ]
    return body + "\n" + "\n".join(tail) + "\n"


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
        choices=("auto", "bwrap-root", "bwrap-user"),
        default="auto",
        help="bubblewrap as root or as another user (auto: as this process runs)",
    )
    parser.add_argument(
        UNSANDBOXED_FLAG,
        action="store_true",
        help="run submissions with no isolation, with your own rights (never by default)",
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
    parser.add_argument(
        "--full-run",
        action="store_true",
        help="train fully, draw every animation frame and measure on every digit when "
        f"running each notebook (default: {QUICK_RUN_STEPS} mini-batches per epoch, "
        f"{QUICK_RUN_STEPS} frames and {QUICK_RUN_STEPS} digits, enough to see that the "
        "cells run)",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        help="points per exercise (JSON); default grading/chapterN.json, else 1 each",
    )
    parser.add_argument(
        "--partial-credit",
        action="store_true",
        help="a wrong function earns the share of hidden cases it got right",
    )
    parser.add_argument(
        "--student",
        action="append",
        help="regrade only this student (id or file name; repeat for more) into --out",
    )
    parser.add_argument(
        "--exercise",
        action="append",
        help="regrade only this exercise (repeat for more) into --out, without the run",
    )
    args = parser.parse_args(argv)
    folder = args.submissions.resolve()
    out = args.out or folder.with_name(folder.name + "-graded")
    limits = Limits(
        run_seconds=args.timeout, exercise_seconds=args.exercise_timeout, memory_mb=args.memory
    )
    try:
        scheme = load_scheme(args.chapter, args.weights)
        if args.partial_credit:
            scheme.partial_credit = True
        grader = Grader(
            args.chapter,
            limits=limits,
            isolation="unsandboxed" if args.unsandboxed else args.isolation,
            jobs=args.jobs,
            run_notebook=not args.no_run,
            quick_run=None if args.full_run else QUICK_RUN_STEPS,
            scheme=scheme,
        )
        rows = grader.grade(folder, out, students=args.student, exercises=args.exercise)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"grade: {clean(error, 4000)}", file=sys.stderr)
        return 2
    for name in grader.skipped:
        print(f"skipped (hidden file): {clean(name, 400)}")
    files = f"{len(rows)} file{'s' * (len(rows) != 1)}"
    if args.student:  # the others' rows were kept as they were
        files = f"{grader.todo_count} of {files} again"
    elif args.exercise:
        files = f"{', '.join(args.exercise)} of {files} again"
    print(
        f"graded {files} of chapter {args.chapter} in "
        f"{grader.seconds:.0f} s (isolation: {grader.level}; limits: {grader.limited}); "
        f"wrote {out / 'grades.csv'} "
        f"and {out / 'feedback'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
