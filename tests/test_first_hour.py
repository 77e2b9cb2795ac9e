"""A newcomer's first hour: the set-up alone, JupyterLab on the student version, and a
``make student`` that never destroys a student's answers."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))

import lab  # noqa: E402
import portability  # noqa: E402
import student_version  # noqa: E402


def make_dry_run(*targets):
    """What ``make -n -B TARGET`` would run, as text (nothing is run)."""
    done = subprocess.run(
        ["make", "-n", "-B", *targets], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_setup_makes_the_environment_and_nothing_else():
    commands = make_dry_run("setup")
    assert "-m venv .venv" in commands and "-r requirements.txt" in commands
    assert "-e ." in commands
    for other in ("jupyter-book build", "pytest", "web_assets", "student_version"):
        assert other not in commands


def test_make_lab_opens_the_student_versions(tmp_path, capsys):
    assert "tools/lab.py" in make_dry_run("lab")
    assert lab.main(["--out", str(tmp_path), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == [p.name for p in CHAPTERS]
    command = printed.strip().splitlines()[-1]
    assert command.split()[0].endswith("/jupyter-lab")
    assert Path(command.split()[0]).exists()
    assert f"--ServerApp.root_dir={tmp_path}" in command
    # A student version already there, with the student's answers, is left alone.
    first = tmp_path / CHAPTERS[0].name
    first.write_text(first.read_text().replace("YOUR CODE HERE", "my answer", 1))
    kept = first.read_bytes()
    assert lab.main(["--out", str(tmp_path), "--dry-run"]) == 0
    assert first.read_bytes() == kept
    assert "written" not in capsys.readouterr().out


def test_the_student_version_is_the_same_on_every_run(tmp_path):
    one = student_version.write_student_version(CHAPTERS[0], tmp_path / "one")
    two = student_version.write_student_version(CHAPTERS[0], tmp_path / "two")
    assert one.read_bytes() == two.read_bytes()


def test_make_student_refuses_to_overwrite_a_students_answers(tmp_path, capsys):
    args = [str(CHAPTERS[0]), "--out", str(tmp_path)]
    assert student_version.main(args) == 0
    target = tmp_path / CHAPTERS[0].name
    nb = nbformat.read(target, as_version=4)
    answer = next(c for c in nb.cells if student_version.is_solution_cell(c))
    answer.source = answer.source.replace("raise NotImplementedError()", "return 42")
    nbformat.write(nb, target)
    edited = target.read_bytes()
    capsys.readouterr()

    assert student_version.main(args) == 1
    message = capsys.readouterr().out
    assert target.read_bytes() == edited
    assert str(target) in message
    assert "mv " in message and f"make student NB={CHAPTERS[0]} OUT=fresh" in message
    # An unchanged student version is simply kept, with no complaint.
    target.unlink()
    assert student_version.main(args) == 0
    assert student_version.main(args) == 0


def test_jupyterlab_of_the_environment_renders_myst():
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    line = next((x for x in listing.splitlines() if "jupyterlab-myst" in x), "")
    assert "enabled" in line and "OK" in line, listing
    assert "not compatible" not in listing, listing


def test_portability_settings_run_only_where_the_processor_has_them():
    widest = next(s for s in portability.SETTINGS if s.name == "widest")
    assert portability.missing_flags(widest, {"avx2"}) == list(widest.needs)
    assert portability.missing_flags(widest, set(widest.needs)) == []
    # Every setting forces each library: torch's kernels, oneDNN and MKL.
    for setting in portability.SETTINGS:
        assert {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR"} <= set(setting.environment)


def test_ci_runs_the_portability_target():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test-portability" in script


@pytest.mark.parametrize("page", ["README.md", "chapters/00_preface.md"])
def test_students_are_led_to_the_student_version(page):
    text = (ROOT / page).read_text()
    assert "make lab" in text
    assert "jupyter lab chapters" not in text
    assert "For students" in text


def test_every_make_target_the_readme_names_exists():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)", readme))
    assert named - targets == set()
    assert "make lock" in (ROOT / "requirements.txt").read_text() and "lock" in targets


def test_the_install_warns_of_nothing_in_pyproject():
    spec = importlib.util.find_spec("setuptools")
    assert spec is not None
    text = (ROOT / "pyproject.toml").read_text()
    assert not re.search(r"^license\s*=\s*\{", text, re.M)  # the deprecated table form
