"""The book's skeleton: set-up, the table of contents, stored notebooks, the execute tool."""

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute_notebooks = load_tool("execute_notebooks")


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def chapter_notebooks():
    return execute_notebooks.chapter_notebooks()


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert [c for c in commands if c] == ["make book", "make test"]


def test_ci_runs_the_readme_commands():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make book" in script and "make test" in script


def test_requirements_are_exact_pins():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    loose = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=<>~,;]+", line)]
    assert loose == []
    pins = dict(line.split("==") for line in lines)
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1.")


def test_toc_lists_existing_files_and_every_chapter():
    listed = toc_files()
    for name in listed:
        matches = list(ROOT.glob(name + ".*"))
        assert matches, f"_toc.yml lists {name}, which does not exist"
    for notebook in chapter_notebooks():
        assert str(notebook.relative_to(ROOT).with_suffix("")) in listed, (
            f"{notebook.name} is not in _toc.yml"
        )
    assert listed[0] == "chapters/00_preface"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_stored_notebook_is_fit_for_nbval(path):
    nb = nbformat.read(path, as_version=4)
    assert execute_notebooks.problems_in(nb) == []
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "a chapter notebook has code"
    # The first code cell that runs anything sets the notebook up.
    first = next(c for c in code if "colab" not in c.metadata.get("tags", []))
    assert "setup_notebook()" in first.source
    assert nb.metadata.kernelspec.name == "python3"


def make_notebook(tmp_path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_execute_stores_a_clean_notebook(tmp_path):
    path = make_notebook(tmp_path, ("print(6 * 7)", []), ("1 / 0", ["raises-exception"]))
    assert execute_notebooks.execute(path) == []
    stored = json.loads(path.read_text())
    assert "".join(stored["cells"][0]["outputs"][0]["text"]) == "42\n"
    assert stored["cells"][1]["outputs"][0]["ename"] == "ZeroDivisionError"


@pytest.mark.parametrize(
    ("source", "tags", "expected"),
    [
        ("1 / 0", [], "ZeroDivisionError"),
        ("import sys; print('careful', file=sys.stderr)", [], "stderr"),
        ("x = 1", ["raises-exception"], "raised nothing"),
    ],
)
def test_execute_refuses_to_store_an_unclean_notebook(tmp_path, source, tags, expected):
    path = make_notebook(tmp_path, ("print('before')", []), (source, tags))
    before = path.read_text()
    problems = execute_notebooks.execute(path)
    assert problems and expected in " ".join(problems)
    assert path.read_text() == before, "an unclean run must not be stored"
