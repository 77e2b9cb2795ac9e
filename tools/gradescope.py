"""Gradescope's autograder for a chapter: build its zip, and grade inside Gradescope.

Usage::

    python tools/gradescope.py build --chapter 1   # writes autograder/chapter1.zip
    make autograder CHAPTER=1                      # the same

The zip is in Gradescope's autograder format: ``setup.sh`` (run once, as root, when
Gradescope builds the image: it installs Python 3.11, bubblewrap and the book's pinned
requirements, then ``lib`` in editable mode) and ``run_autograder`` (run once per
submission: it grades ``/autograder/submission/*.ipynb`` with ``tools/grade.py`` and
writes ``/autograder/results/results.json``), with ``lib``, the grader's scripts, the
requirements and a ``config.json`` that names the chapter.

``results.json`` holds one test per exercise (name, score, max_score, visibility, and
the diagnosis as output), the total score, and the notebook's run and the isolation
used in the top-level output.

Isolation on Gradescope: every submission runs in a container of its own, on
Gradescope's machines, which is the main wall. Inside it, the grader uses bubblewrap as
everywhere when the container lets bubblewrap create namespaces; when it does not,
``run_autograder`` grades with ``--unsandboxed`` *by name* (``CONTAINER_IS_SANDBOX=1``
in the script), and the results' output says so. Then the answers could read the
checkers' references inside the container, and only the container keeps them from
anything else. The grader writes ``results.json`` itself, after the submission's
session has been killed and, since the grader is then a subreaper, after every process
that left that session (``setsid``) and was orphaned has been found among its children
and ended (``tests/test_autograder.py``). The submission runs as the container's user,
though, root: code that attacks the grader's own process (``ptrace``, ``/proc/PID/mem``)
is not stopped. A user id of its own for the submission would be the fix.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``AUTOGRADER_PYTHON`` move the layout
and the interpreter, for the tests only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402

#: What the zip holds besides ``lib``: the grader and what installs it.
TOOLS = ("grade.py", "grade_runner.py", "grade_sandbox.py", "gradescope.py")
FILES = ("requirements.txt", "pyproject.toml", "README.md")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap ca-certificates \\
  software-properties-common
if ! command -v python3.11 >/dev/null; then
  apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv || {
    add-apt-repository -y ppa:deadsnakes/ppa && apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv; }
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt \\
  --extra-index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/pip install --quiet --no-deps -e /autograder/source
# The grader's sandbox runs as other users: they must read the environment and lib.
chmod -R a+rX /autograder/venv /autograder/source
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in a container of its own.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
# Gradescope's container is the sandbox when bubblewrap cannot build its own inside it:
# grade.py then runs with --unsandboxed, by name, and results.json says so.
export CONTAINER_IS_SANDBOX=1
exec "$PYTHON" "$ROOT/source/tools/gradescope.py" run --root "$ROOT"
"""


def build(chapter, out=None):
    """Write the autograder zip of ``chapter``; return its path.

    Raises
    ------
    ValueError
        If ``chapter`` has no exercises (from :func:`lib.exercises.chapter_exercises`).
    """
    exercises = grade.chapter_exercises(chapter)
    number = int(str(chapter).split("_")[0])
    out = Path(out) if out else ROOT / "autograder" / f"chapter{number}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    config = {"chapter": number, "exercises": [e.name for e in exercises], "run_notebook": True}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add_text(name, text, mode=0o644):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)

        add_text("setup.sh", SETUP_SH, 0o755)
        add_text("run_autograder", RUN_AUTOGRADER, 0o755)
        add_text("config.json", json.dumps(config, indent=1) + "\n")
        for name in FILES:
            add_text(name, (ROOT / name).read_text(encoding="utf-8"))
        points = grade.SCHEMES / f"chapter{number}.json"
        if points.is_file():
            add_text(f"grading/{points.name}", points.read_text(encoding="utf-8"))
        for name in TOOLS:
            add_text(f"tools/{name}", (ROOT / "tools" / name).read_text(encoding="utf-8"))
        saved_runs = sorted((ROOT / "results").glob("*.json"))  # what chapters 5 and 6 read
        for path in sorted((ROOT / "lib").rglob("*")) + saved_runs:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                info = zipfile.ZipInfo(str(path.relative_to(ROOT)), date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return out


def results_json(row, exercises, level, note="", scheme=None, limited=None):
    """Gradescope's ``results.json`` for one graded submission (a dict); ``limited`` says
    which resource limits held (:attr:`grade.Grader.limited`)."""
    scheme = scheme or grade.Scheme({e.name: float(e.points) for e in exercises})
    by_name = {r.exercise: r for r in row.results}
    tests = []
    for number, exercise in enumerate(exercises, start=1):
        result = by_name.get(exercise.name)
        if result is None:
            output = f"not graded: {row.reason or 'no notebook'}"
            score = 0.0
        else:
            output, score = f"{result.status}: {result.message}", row.scores.get(exercise.name, 0)
        tests.append(
            {
                "name": exercise.name,
                "number": str(number),
                "score": score,
                "max_score": scheme.points[exercise.name],
                "output": grade.clean(output, 2000),
                "visibility": "visible",
            }
        )
    lines = []
    if row.reason:
        lines.append(f"Note: {row.reason}")
    lines += [f"Note: {flag}" for flag in row.flags + row.notes]
    if row.notebook_run:
        lines.append(f"Your notebook, run top to bottom: {row.notebook_run}.")
        lines += [f"  cell {position + 1}: {error}" for position, error in row.run_errors[:20]]
    limits = f"; limits: {limited}" if limited else ""
    lines.append(f"Isolation of the grading sandbox: {level}{note}{limits}.")
    return {
        "score": sum(t["score"] for t in tests),
        "output": "\n".join(grade.clean(line, 2000) for line in lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def run(root):
    """Grade the submission in ``root/submission`` into ``root/results/results.json``."""
    root = Path(root)
    config = json.loads((root / "source" / "config.json").read_text())
    exercises = grade.chapter_exercises(config["chapter"])
    note = ""
    try:
        level = grade.detect_isolation("auto")
    except grade.SandboxUnavailable as error:
        if os.environ.get("CONTAINER_IS_SANDBOX") != "1":
            raise
        level = "unsandboxed"
        note = f" (Gradescope's container only: {grade.clean(error, 200)})"
    notebooks = sorted((root / "submission").glob("*.ipynb"))
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        folder = work / "submitted"
        folder.mkdir()
        if notebooks:
            shutil.copyfile(notebooks[0], folder / "submission.ipynb")

        def grading(level):
            grader = grade.Grader(
                config["chapter"],
                isolation=level,
                jobs=1,
                run_notebook=bool(config.get("run_notebook", True)),
                watch=[folder],
            )
            return grader, grader.grade(folder, work / "graded")

        try:
            grader, rows = grading(level)
        except grade.SandboxUnavailable as error:
            # bubblewrap started but could not run `import lib` (the probe): in Gradescope's
            # own container, the same fallback as when it cannot start at all.
            if os.environ.get("CONTAINER_IS_SANDBOX") != "1" or level == "unsandboxed":
                raise
            level = "unsandboxed"
            note = f" (Gradescope's container only: {grade.clean(error, 200)})"
            grader, rows = grading(level)
        row = rows[0] if rows else grade.Row(file="", student="", reason="no .ipynb submitted")
        if len(notebooks) > 1:
            row.notes.append(
                f"{len(notebooks)} notebooks were submitted; graded {notebooks[0].name} only."
            )
        data = results_json(row, exercises, level, note, grader.scheme, grader.limited)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    temporary = results / "results.json.tmp"
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, results / "results.json")
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build", help="write autograder/chapterN.zip")
    building.add_argument("--chapter", required=True)
    building.add_argument("--out", type=Path)
    running = commands.add_parser("run", help="grade, inside Gradescope's layout")
    running.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(f"wrote {build(args.chapter, args.out)}")
        else:
            data = run(args.root)
            print(f"score {data['score']:g}; wrote {args.root / 'results' / 'results.json'}")
    except (ValueError, RuntimeError, OSError) as error:
        print(f"gradescope: {grade.clean(error, 4000)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
