"""pytest's settings for the whole repository: nbval's extensions of ours.

- ``tests/nbval_tolerance.py``: a training run's printed numbers compared within the
  tolerance that its cell states;
- ``tests/nbval_timeout.py``: each cell's own time limit, so a hang fails in a minute.
"""

pytest_plugins = ["tests.nbval_tolerance", "tests.nbval_timeout"]
