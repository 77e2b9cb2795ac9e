"""The tolerance beside nbval: training numbers within it pass, anything else still fails."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from tests.nbval_run import run_nbval
from tests.nbval_tolerance import cell_tolerance, describe, reconcile

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

#: What each cell of the small notebook prints, what is stored instead, its tolerance, and
#: whether nbval must pass it.
CASES = [
    # within every tolerance: passes
    (
        "epoch 10  9.7e-03  97.7 %  (23 of 1000 wrong)",
        "epoch 10  8.2e-03  97.3 %  (19 of 1000 wrong)",
        True,
        True,
    ),  # fmt: skip
    # an accuracy 2.3 points away: fails
    ("epoch 10  8.2e-03  95.0 %", "epoch 10  8.2e-03  97.3 %", True, False),
    # a loss 3 times larger: fails
    ("epoch 10  2.5e-02  97.3 %", "epoch 10  8.2e-03  97.3 %", True, False),
    # a count of mistakes 11 away: fails
    ("(30 of 1000 wrong)", "(19 of 1000 wrong)", True, False),
    # a word changed, numbers within tolerance: fails
    ("epoch 10  8.2e-03  97.4 % test", "epoch 10  8.2e-03  97.3 % train", True, False),
    # a number of no tolerated kind (the epoch): fails
    ("epoch 11  8.2e-03  97.3 %", "epoch 10  8.2e-03  97.3 %", True, False),
    # no tolerance declared: the smallest change fails
    ("97.4 %", "97.3 %", False, False),
]
TOLERANCE = {"percent": 1.0, "scientific": 2.0, "count": 10}


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for index, (printed, stored, tolerant, _) in enumerate(CASES):
        cell = nbformat.v4.new_code_cell(f"print({printed!r})", execution_count=index + 1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored + "\n")]
        if tolerant:
            cell.metadata["convbook"] = {"tolerance": TOLERANCE}
        nb.cells.append(cell)
    nbformat.write(nb, path)


def test_nbval_passes_within_the_tolerance_and_fails_outside_naming_the_cell(tmp_path):
    notebook = tmp_path / "training.ipynb"
    _notebook(notebook)
    report = run_nbval(notebook, "tests.nbval_tolerance")
    for index, (_, _, _, passes) in enumerate(CASES):
        verdict = "PASSED" if passes else "FAILED"
        assert re.search(rf"{verdict} \S*training\.ipynb::Cell {index}\b", report), report[-3000:]
    assert "Numbers outside this cell's stated tolerance" in report
    assert "95.0 % against the stored 97.3 %: outside the tolerance of 1 percentage point" in report
    assert "2.5e-02 against the stored 8.2e-03: outside the tolerance of a factor of 2" in report


def test_reconcile_needs_the_same_kinds_of_number_in_the_same_order():
    text, problems = reconcile("97.3 % 8.2e-03", "8.2e-03 97.3 %", TOLERANCE)
    assert text == "97.3 % 8.2e-03" and problems == []  # left for nbval to show the diff


def test_a_loss_that_changes_sign_or_becomes_zero_is_outside_any_factor():
    assert reconcile("-8.2e-03", "8.2e-03", TOLERANCE)[1]
    assert reconcile("0.0e+00", "8.2e-03", TOLERANCE)[1]


@pytest.mark.parametrize("bad", [{"percent": -1}, {"percent": "1"}, {"scientific": 0.5}, {"x": 1}])
def test_a_malformed_tolerance_is_refused(bad):
    with pytest.raises(ValueError, match="tolerance"):
        cell_tolerance({"metadata": {"convbook": {"tolerance": bad}}})


def _tolerant_cells():
    for path in CHAPTERS:
        nb = json.loads(path.read_text())
        for index, cell in enumerate(nb["cells"]):
            if cell_tolerance(cell):
                yield path, nb["cells"], index


TOLERANT = [
    pytest.param(path, cells, index, id=f"{path.stem}-cell{index}")
    for path, cells, index in _tolerant_cells()
]


def test_the_chapters_have_tolerant_cells_and_only_training_ones():
    assert [(path.name, index) for path, _, index in _tolerant_cells()] == [
        ("05_lenet5.ipynb", 37),
        ("05_lenet5.ipynb", 40),
        ("05_lenet5.ipynb", 42),
        ("05_lenet5.ipynb", 49),
        ("06_learning.ipynb", 49),
        ("06_learning.ipynb", 51),
    ]


@pytest.mark.parametrize(("path", "cells", "index"), TOLERANT)
def test_each_tolerance_is_stated_beside_its_cell_in_the_chapter(path, cells, index):
    words = describe(cell_tolerance(cells[index]))
    beside = [c for c in cells[max(0, index - 2) : index + 2] if c["cell_type"] == "markdown"]
    text = " ".join(" ".join("".join(c["source"]).split()) for c in beside)
    assert words in text, f"{path.name} cell {index}: say '{words}' beside it"


@pytest.mark.parametrize(("path", "cells", "index"), TOLERANT)
def test_stored_numbers_moved_beyond_the_tolerance_are_caught(path, cells, index):
    tolerance = cell_tolerance(cells[index])
    stored = "".join(
        "".join(o.get("text", "")) for o in cells[index]["outputs"] if o["output_type"] == "stream"
    )
    assert stored
    if "percent" in tolerance:
        step = tolerance["percent"]
        near = re.sub(r"(\d+\.\d)(?= %)", lambda m: f"{float(m[1]) - step / 2:.1f}", stored)
        far = re.sub(r"(\d+\.\d)(?= %)", lambda m: f"{float(m[1]) - 2 * step:.1f}", stored)
        assert reconcile(near, stored, tolerance) == (stored, [])
        assert len(reconcile(far, stored, tolerance)[1]) == stored.count("%")
    if "scientific" in tolerance:
        far = re.sub(r"(\d\.\d)e", lambda m: f"{float(m[1]) / 2.5:.1f}e", stored)
        assert reconcile(far, stored, tolerance)[1]
    if "count" in tolerance:
        far = re.sub(r"\d+(?= of )", lambda m: str(int(m[0]) + tolerance["count"] + 1), stored)
        assert reconcile(far, stored, tolerance)[1]
