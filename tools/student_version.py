"""Make the student version of chapter notebooks: solutions out, stubs in, checks kept.

The notebooks in ``chapters/`` are the instructor's version. For each one, this writes a
notebook of the same name into ``student/`` (``make student``; one chapter with
``make student NB=chapters/01_convolution.ipynb``) in which:

- the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by a stub
  (nbgrader's ``ClearSolutions``): ``raise NotImplementedError()`` inside a function, and
  ``name = ...`` for an answer assigned at the top level of a cell (a number worked out
  by hand), so that the student version runs top to bottom;
- the solutions of the website are removed: sphinx-exercise ``solution`` blocks, and
  everything between ``solution-start`` and ``solution-end`` except the answer cells
  (the nbgrader solution cells, which keep their stubs);
- cells tagged ``instructor-only`` and hidden tests (nbgrader's ``ClearHiddenTests``)
  are removed, all outputs are cleared (``ClearOutput``), and answer and check cells are
  protected against deletion (``LockCells``);
- the nbgrader metadata stays, so the student version is also an nbgrader release.

With ``--execute`` it then runs each student version in a fresh kernel and checks that
it runs clean and that every check says "not attempted".

Usage::

    python tools/student_version.py [NOTEBOOK ...] [--out student] [--execute]
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
    LockCells,
)

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
STUDENT = ROOT / "student"
#: The student versions kept in the repository (``make execute`` refreshes them): what the
#: website's Colab, Binder and download buttons hand out, so that a student who opens a
#: chapter from the website gets its exercises without their solutions.
PUBLISHED = CHAPTERS / "student"

#: The tag of cells that only the instructor's version keeps.
INSTRUCTOR_ONLY = "instructor-only"

#: The line a stub assigns for an answer given at the top level of a cell.
VALUE_STUB = "{name} = ...  # YOUR ANSWER HERE"

#: A MyST directive's opening fence: ```{name} or :::{name}, possibly indented 0-3.
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<argument>.*)$")
_SOLUTION_DIRECTIVES = {"solution", "solution-start", "solution-end"}

NOTE = (
    "```{note}\n"
    "This is the student version of the chapter. Write your answers where it says "
    "`YOUR CODE HERE` or `YOUR ANSWER HERE`, and run the check below each one. When a "
    "notebook is graded, each answer cell is run on its own, after the notebook's imports "
    "and the answer cells above it: keep everything an answer needs in its cell. It may use "
    "the data an exercise names (such as `ex.CORNER_IMAGE`), but not the checkers. "
    "`ex.NAME.check(NAME, seed=1)` checks a function on more inputs, made from the seed; "
    "`ex.NAME.hint(n)` shows hint `n` again; `ex.progress()` checks every exercise again "
    "and lists where you stand: run it before you hand the notebook in.\n"
    "```"
)


class StudentVersionError(ValueError):
    """The instructor's notebook cannot be turned into a student version as it is."""


class StudentWorkError(FileExistsError):
    """A student version already there differs from a fresh one: it may hold answers."""

    def __init__(self, target: Path, chapter: Path):
        self.target = target
        super().__init__(
            f"{target} differs from a fresh student version (your answers, or a newer "
            "chapter), so it was left as it is. For a fresh copy of the whole chapter, "
            f"rename yours (mv {target} {target.with_suffix('.mine.ipynb')}) and run "
            f"make student again; for one exercise's cells, write a fresh copy elsewhere "
            f"(make student NB={chapter} OUT=fresh) and copy those cells from it."
        )


def remove_directives(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Remove the sphinx-exercise solution directives from a markdown cell's text.

    Parameters
    ----------
    text : str
        The markdown source.

    Returns
    -------
    str
        The text without its ``solution``, ``solution-start`` and ``solution-end``
        blocks (each from its opening fence to its closing fence).
    list of (str, str)
        The directives removed, in order: their name and argument.

    Examples
    --------
    >>> text = "Before.\\n\\n:::{solution} ex-1\\n:class: dropdown\\nIt is 6.\\n:::\\nAfter."
    >>> remove_directives(text)
    ('Before.\\n\\nAfter.', [('solution', 'ex-1')])
    >>> remove_directives("```{solution-start} ex-2\\n:class: dropdown\\n```")
    ('', [('solution-start', 'ex-2')])
    """
    lines = text.split("\n")
    kept, found = [], []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match or match["name"] not in _SOLUTION_DIRECTIVES:
            kept.append(lines[index])
            index += 1
            continue
        fence = match["fence"]
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        found.append((match["name"], match["argument"].strip()))
        index = end + 1  # an unclosed block runs to the end of the cell
    return "\n".join(kept).strip("\n"), found


def is_solution_cell(cell) -> bool:
    """True for a cell that nbgrader's metadata marks as a solution (an answer) cell."""
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def remove_website_solutions(nb) -> None:
    """Drop the solutions that the website shows collapsed, and instructor-only cells.

    Inside a gated ``solution-start`` ... ``solution-end`` block, only the answer cells
    (nbgrader solution cells) are kept: they become stubs. Every other cell of the block
    is part of the solution and goes.

    Raises
    ------
    StudentVersionError
        If a gated block is nested, not closed, or closed without being opened.
    """
    cells, gate = [], None
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "markdown":
            text, directives = remove_directives(cell.source)
            for name, argument in directives:
                if name == "solution-start":
                    if gate is not None:
                        raise StudentVersionError(
                            f"cell {index}: solution-start {argument} inside the open "
                            f"solution-start {gate}"
                        )
                    gate = argument or "(no label)"
                elif name == "solution-end":
                    if gate is None:
                        raise StudentVersionError(f"cell {index}: solution-end without start")
                    gate = None
            if gate is not None and not any(n == "solution-start" for n, _ in directives):
                continue  # the text of a solution
            if text.strip():
                cell.source = text
                cells.append(cell)
        elif gate is None or is_solution_cell(cell):
            cells.append(cell)
    if gate is not None:
        raise StudentVersionError(f"solution-start {gate} has no solution-end")
    nb.cells = cells


def top_level_stub(source: str, begin: str = "BEGIN SOLUTION", end: str = "END SOLUTION"):
    """The stub of a solution region at the top level of a cell, or None.

    A region inside a function gets nbgrader's stub (``raise NotImplementedError()``).
    A region at the top level must not raise, or the student version would stop there:
    an assignment becomes ``name = ...`` and a function definition keeps its signature.

    Examples
    --------
    >>> print(top_level_stub("### BEGIN SOLUTION\\nanswer = 27\\n### END SOLUTION"))
    answer = ...  # YOUR ANSWER HERE
    >>> top_level_stub("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION")
    """
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if begin in line]
    if len(starts) != 1 or lines[starts[0]] != lines[starts[0]].lstrip():
        return None
    stop = next((i for i in range(starts[0], len(lines)) if end in lines[i]), len(lines))
    region = "\n".join(lines[starts[0] + 1 : stop])
    try:
        tree = ast.parse(region)
    except SyntaxError as error:
        raise StudentVersionError(f"the solution region does not parse: {error}") from None
    stubs = []
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target]
        elif isinstance(node, ast.FunctionDef):
            stubs.append(
                f"def {node.name}({ast.unparse(node.args)}):\n"
                "    # YOUR CODE HERE\n    raise NotImplementedError()"
            )
        stubs += [VALUE_STUB.format(name=t.id) for t in targets]
    if not stubs:
        raise StudentVersionError(
            "a solution region at the top level of a cell must assign the answer or define "
            f"a function, so that its stub does not raise:\n{source}"
        )
    return "\n".join(dict.fromkeys(stubs))


class ClearSolutionsRunnable(ClearSolutions):
    """nbgrader's ``ClearSolutions``, with stubs that do not raise at the top level.

    A solution region inside a function gets nbgrader's own stub. A region at the top
    level of a cell gets :func:`top_level_stub`, so that the student version runs top to
    bottom and its checks can say "not attempted".
    """

    def _replace_solution_region(self, cell, language):
        stub = None
        if cell.cell_type == "code":
            stub = top_level_stub(
                cell.source, self.begin_solution_delimeter, self.end_solution_delimeter
            )
        if stub is None:
            return super()._replace_solution_region(cell, language)
        saved = dict(self.code_stub)
        self.code_stub = {**saved, language: stub}
        try:
            return super()._replace_solution_region(cell, language)
        finally:
            self.code_stub = saved


def check_answer_cells(nb) -> None:
    """Refuse a code answer cell without a solution region: nbgrader would replace all of
    it with a stub that raises, and the student version would stop there."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and is_solution_cell(cell):
            if "BEGIN SOLUTION" not in cell.source:
                grade_id = cell.metadata["nbgrader"].get("grade_id", "?")
                raise StudentVersionError(
                    f"cell {index} ({grade_id}) is an answer cell without "
                    "### BEGIN SOLUTION / ### END SOLUTION markers"
                )


def student_version(nb):
    """Return the student version of an instructor's notebook (a new notebook).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The instructor's notebook; it is not modified.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    StudentVersionError
        If the notebook's solutions are not marked as this tool expects.
    nbgrader.nbgraderformat.ValidationError
        If its nbgrader metadata are invalid (a duplicate ``grade_id``, for one).
    """
    nb = copy.deepcopy(nb)
    resources = {}
    nb, resources = CheckCellMetadata().preprocess(nb, resources)
    remove_website_solutions(nb)
    check_answer_cells(nb)
    for preprocessor in (ClearSolutionsRunnable(), ClearHiddenTests(), ClearOutput(), LockCells()):
        nb, resources = preprocessor.preprocess(nb, resources)
    nb.metadata.pop("widgets", None)  # the widget state of outputs that are gone
    leftovers = [
        i
        for i, cell in enumerate(nb.cells)
        if "BEGIN SOLUTION" in cell.source
        or "END SOLUTION" in cell.source
        or re.search(r"\{solution(-start|-end)?\}", cell.source)
    ]
    if leftovers:
        raise StudentVersionError(f"solution text left in cells {leftovers}")
    note = nbformat.v4.new_markdown_cell(NOTE, metadata={"tags": ["student-note"]})
    note.id = "student-note"  # a fixed id: the same student version on every run
    first_markdown = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(first_markdown, note)
    nbformat.validate(nb)
    return nb


def write_student_version(path: Path, out_dir: Path = STUDENT) -> Path:
    """Write the student version of the notebook at ``path`` into ``out_dir``.

    A student's work is never replaced: when ``out_dir`` already holds a notebook of that
    name that differs from the fresh student version, nothing is written.

    Parameters
    ----------
    path : Path
        The instructor's notebook.
    out_dir : Path, optional
        Where to write it; default ``student/``.

    Returns
    -------
    Path
        The student version's path (written, or already there and identical).

    Raises
    ------
    StudentWorkError
        If a different notebook is already at that path.
    """
    nb = nbformat.read(path, as_version=4)
    text = nbformat.writes(student_version(nb))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / path.name
    if target.exists():
        if target.read_text(encoding="utf-8") != text:
            raise StudentWorkError(target, path)
        return target
    target.write_text(text, encoding="utf-8")
    return target


def run_problems(path: Path) -> list[str]:
    """Execute a student version in a fresh kernel; list what is wrong with the run.

    A clean run raises nothing outside cells tagged ``raises-exception``, writes nothing
    on stderr, and every check cell (a cell that calls ``.check(``) says "not attempted".
    """
    sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import run

    nb = nbformat.read(path, as_version=4)
    problems = run(nb, path.parent)  # each cell within its own limit (cell_timeout)
    if any(problem.startswith("execution stopped") for problem in problems):
        return problems
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and ".check(" in cell.source:
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            verdicts = [line for line in text.splitlines() if line and not line.startswith(" ")]
            if any(output.output_type != "stream" for output in cell.outputs):
                problems.append(f"cell {index}: a check shows more than its printed verdict")
            if not verdicts or not all(": not attempted" in line for line in verdicts):
                problems.append(f"cell {index}: check does not say 'not attempted': {text!r}")
    return problems


def publish_student_version(path: Path, out_dir: Path = PUBLISHED) -> Path:
    """Write the published student version of the chapter at ``path`` (always replaced).

    Unlike :func:`write_student_version`, which guards a student's work, this copy belongs
    to the book: ``make execute`` rewrites it whenever it stores a chapter's outputs, and a
    test checks that each one equals a fresh student version of its chapter.

    Returns
    -------
    Path
        The published copy, ``chapters/student/<name>.ipynb``.
    """
    nb = nbformat.read(path, as_version=4)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / path.name
    target.write_text(nbformat.writes(student_version(nb)), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter")
    parser.add_argument("--out", type=Path, default=STUDENT, help="default: student/")
    parser.add_argument(
        "--execute", action="store_true", help="run each student version and check it"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(
        p for p in CHAPTERS.glob("[0-9]*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    if not paths:
        print(f"no chapter notebooks in {CHAPTERS}")
    failed = 0
    for path in paths:
        try:
            target = write_student_version(path, args.out)
        except StudentWorkError as error:
            failed += 1
            print(f"KEPT        {error}")
            continue
        except (OSError, ValueError, ValidationError) as error:
            failed += 1
            print(f"NOT WRITTEN {path}: {error}")
            continue
        problems = run_problems(target) if args.execute else []
        if problems:
            failed += 1
            print(f"RUNS BADLY  {target}:")
            for problem in problems:
                print(f"    {problem}")
        else:
            print(f"written     {target}" + (" (runs clean)" if args.execute else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
