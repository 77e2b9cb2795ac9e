"""Give each notebook cell under nbval the time limit it declares, not nbval's 2,000 s.

nbval has one limit for every cell (``--nbval-cell-timeout``, 2,000 s by default), so a
cell that hangs would hold ``make test`` for half an hour. This plugin gives each cell the
limit of ``tools/execute_notebooks.cell_timeout`` instead (a minute, or what a training
cell declares in its metadata), the same limit that ``make execute`` and the
student-version check use: a cell that hangs fails within its limit, and nbval's report
names the notebook and the cell.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from nbval.plugin import IPyNbCell

_spec = importlib.util.spec_from_file_location(
    "execute_notebooks", Path(__file__).resolve().parent.parent / "tools" / "execute_notebooks.py"
)
_execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_execute_notebooks)
cell_timeout = _execute_notebooks.cell_timeout


def runtest(self):
    """nbval's run of one cell, with that cell's own time limit."""
    option = self.config.option
    default = option.nbval_cell_timeout
    option.nbval_cell_timeout = cell_timeout(self.cell)
    try:
        _run_cell(self)
    finally:
        option.nbval_cell_timeout = default


# Kept once, as in nbval_tolerance: pytest may import this file under two names.
_run_cell = getattr(IPyNbCell, "_convbook_run_cell", IPyNbCell.runtest)
IPyNbCell._convbook_run_cell = _run_cell
IPyNbCell.runtest = runtest
