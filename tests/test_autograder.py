"""``make autograder``'s zip, run as Gradescope runs it: in a temporary root laid out as
Gradescope lays out ``/autograder``, on an honest, a partial and a hostile submission."""

import importlib
import json
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import exercise_notebooks as fixtures  # tests/ is on the path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
gradescope = importlib.import_module("gradescope")
student_version = importlib.import_module("student_version")

NAMES = [name for name, *_ in fixtures.EXERCISES]
pytestmark = pytest.mark.slow  # make test-slow

HOSTILE = """
import json, os, pathlib
forged = {"score": 6, "tests": [{"name": "corner_value", "score": 6, "max_score": 1}]}
for root in ("/autograder", "AUTOGRADER_ROOT"):
    try:
        pathlib.Path(root, "results", "results.json").write_text(json.dumps(forged))
    except OSError:
        pass
    try:
        stolen = pathlib.Path(root, "source", "lib", "exercises", "chapter1.py").read_text()
    except OSError:
        stolen = ""
if os.fork() == 0:  # a process left behind to write the results after the grader
    import time
    time.sleep(3)
    pathlib.Path("AUTOGRADER_ROOT", "results", "results.json").write_text(json.dumps(forged))
    os._exit(0)
print('{"score": 6}')
corner_value = 27 if "27" in stolen else 0
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build the zip; unpack it into three Gradescope roots; run them at once."""
    tmp = tmp_path_factory.mktemp("gradescope")
    archive = gradescope.build(1, tmp / "chapter1.zip")
    student = student_version.student_version(fixtures.instructor_notebook())
    right = fixtures.solutions()
    submissions = {
        "honest": fixtures.with_answers(student, right),
        "partial": fixtures.with_answers(
            student, {**right, "ch1-ex-corner-value": "corner_value = 8"}
        ),
    }
    processes = {}
    for name in ("honest", "partial", "hostile"):
        root = tmp / name / "autograder"
        for folder in ("source", "submission", "results"):
            (root / folder).mkdir(parents=True)
        with zipfile.ZipFile(archive) as unzipped:
            unzipped.extractall(root / "source")
        for script in ("run_autograder", "setup.sh"):
            path = root / "source" / script
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
        if name == "hostile":
            source = HOSTILE.replace("AUTOGRADER_ROOT", str(root))
            nb = fixtures.with_answers(student, {**right, "ch1-ex-corner-value": source})
        else:
            nb = submissions[name]
        nbformat.write(nb, root / "submission" / f"{name}.ipynb")
        if name != "honest":  # the run step only for one: the time of the suite
            config = json.loads((root / "source" / "config.json").read_text())
            (root / "source" / "config.json").write_text(
                json.dumps({**config, "run_notebook": False})
            )
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AUTOGRADER_ROOT": str(root),
            "AUTOGRADER_PYTHON": sys.executable,
        }
        processes[name] = subprocess.Popen(
            [str(root / "source" / "run_autograder")],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    results = {}
    for name, process in processes.items():
        output, _ = process.communicate(timeout=300)
        root = tmp / name / "autograder"
        assert process.returncode == 0, output.decode(errors="replace")
        results[name] = json.loads((root / "results" / "results.json").read_text())
    yield {"archive": archive, "results": results, "tmp": tmp}


def test_the_zip_is_in_gradescopes_format(graded):
    with zipfile.ZipFile(graded["archive"]) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        config = json.loads(archive.read("config.json"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "tools/grade.py"} <= names
    assert "lib/exercises/chapter1.py" in names and "lib/exercises/checker.py" in names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert config["chapter"] == 1 and config["exercises"] == NAMES


def test_an_honest_submission(graded):
    data = graded["results"]["honest"]
    assert data["score"] == 6
    assert [t["name"] for t in data["tests"]] == NAMES
    for test in data["tests"]:
        assert test["score"] == test["max_score"] == 1 and test["visibility"] == "visible"
        assert test["output"].startswith("correct")
    assert "ran clean" in data["output"] and "Isolation" in data["output"]
    assert "; limits: " in data["output"]  # which limits held: cgroups or per process


def test_a_partial_submission(graded):
    data = graded["results"]["partial"]
    scores = {t["name"]: t["score"] for t in data["tests"]}
    assert data["score"] == 5 and scores["corner_value"] == 0
    corner = next(t for t in data["tests"] if t["name"] == "corner_value")
    assert corner["output"].startswith("incorrect")


def test_a_hostile_submission_gains_nothing(graded):
    """It writes results.json itself (and leaves a process to write it again later),
    prints a score, and reads the checkers' references for its answer: nothing sticks."""
    data = graded["results"]["hostile"]
    scores = {t["name"]: t["score"] for t in data["tests"]}
    assert scores["corner_value"] == 0 and data["score"] == 5
    assert all(t["max_score"] == 1 for t in data["tests"])
    root = graded["tmp"] / "hostile" / "autograder"
    time.sleep(4)  # longer than the process it left behind would have slept
    again = json.loads((root / "results" / "results.json").read_text())
    assert again == data


def test_a_sandbox_that_fails_its_probe_falls_back_only_in_gradescopes_container(
    tmp_path, monkeypatch
):
    """bubblewrap starts, but cannot run `import lib` (the probe): in Gradescope's own
    container (CONTAINER_IS_SANDBOX=1) the submission is graded unsandboxed, saying so,
    as when bubblewrap cannot start at all; anywhere else, nothing is graded."""
    grade = gradescope.grade
    root = tmp_path / "autograder"
    for folder in ("source", "submission"):
        (root / folder).mkdir(parents=True)
    (root / "source" / "config.json").write_text(
        json.dumps({"chapter": "1", "run_notebook": False})
    )
    student = student_version.student_version(fixtures.instructor_notebook())
    nbformat.write(
        fixtures.with_answers(student, fixtures.solutions()), root / "submission" / "a.ipynb"
    )
    real_probe = grade.Grader.probe

    def failing_probe(self, *args):
        if self.level != "unsandboxed":
            raise grade._missing("the sandbox could not run `import lib` (simulated)")
        return real_probe(self, *args)

    monkeypatch.setattr(grade.Grader, "probe", failing_probe)
    monkeypatch.delenv("CONTAINER_IS_SANDBOX", raising=False)
    with pytest.raises(grade.SandboxUnavailable):
        gradescope.run(root)
    assert not (root / "results" / "results.json").exists()
    monkeypatch.setenv("CONTAINER_IS_SANDBOX", "1")
    data = gradescope.run(root)
    assert data["score"] == 6
    assert "unsandboxed" in data["output"] and "simulated" in data["output"]


DAEMON = """
import os, pathlib, sys, time
if os.fork() == 0:
    os.setsid()  # out of the session that the grader kills
    if os.fork() == 0:
        target = pathlib.Path(RESULTS)
        end = time.monotonic() + 30
        while time.monotonic() < end and not target.exists():
            time.sleep(0.01)
        time.sleep(0.3)
        target.write_text('{"score": 6, "tests": []}')
        os._exit(0)
    os._exit(0)
"""


@pytest.mark.parametrize(
    "first", ["", "os.kill(os.getppid(), 9)\n"], ids=["daemon", "parent-killed"]
)
def test_unsandboxed_in_gradescopes_container_no_process_outlives_the_grading(
    tmp_path, monkeypatch, first
):
    """In the container-only mode (no PID namespace), a process that double-forks and
    calls setsid() leaves the session the grader kills; it is reparented to the grader
    (a subreaper) and ended before results.json is written, so it cannot rewrite it
    (found by session 8's red team: it turned a 0 into a 6)."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    (root / "source" / "config.json").write_text(json.dumps({"chapter": 1, "run_notebook": True}))
    results = root / "results" / "results.json"
    nb = nbformat.v4.new_notebook()
    daemon = DAEMON.replace("RESULTS", repr(str(results)))
    # "parent-killed": the runner first kills the process that waits for it, so that its
    # orphans would go to the next subreaper up, the grader itself.
    daemon = daemon.replace(
        "if os.fork() == 0:\n    os.setsid()", first + "if os.fork() == 0:\n    os.setsid()", 1
    )
    nb.cells = [nbformat.v4.new_code_cell(daemon)]
    nbformat.write(nb, root / "submission" / "daemon.ipynb")

    detect = gradescope.grade.detect_isolation

    def no_bubblewrap(wanted="auto"):
        if wanted != "unsandboxed":
            raise gradescope.grade.SandboxUnavailable("no namespaces in this container")
        return detect(wanted)

    monkeypatch.setattr(gradescope.grade, "detect_isolation", no_bubblewrap)
    monkeypatch.setenv("CONTAINER_IS_SANDBOX", "1")
    data = gradescope.run(root)
    assert data["score"] == 0 and "Gradescope's container only" in data["output"]
    time.sleep(1.5)  # the daemon writes 0.3 s after results.json appears
    assert json.loads(results.read_text()) == data
