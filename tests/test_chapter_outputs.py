"""The printed outputs stored in the chapters, as the website shows them.

The website (Jupyter Book 1.x) shows a printed line wider than about 88 characters in a
box that scrolls sideways, which hides the end of the line; and a stored output is public,
so it must not show a folder of the machine that made it. A widget's ``text/plain`` is not
checked: the website shows the widget itself, from its stored state.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted(
    (ROOT / "chapters" / "student").glob("*.ipynb")
)
WIDTH = 88
WIDGET = "application/vnd.jupyter.widget-view+json"
# An absolute path into a user's or this machine's folders (not a URL, whose path follows
# a host name, nor a relative path such as results/...).
PRIVATE_PATH = re.compile(r"(?<![\w.:/])/(?:work|home|root|tmp|Users|mnt)/\S")


def printed_lines(path):
    """(cell index, line) of every printed line that the website shows as text."""
    cells = json.loads(path.read_text())["cells"]
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text = output["text"]
            elif "text/plain" in output.get("data", {}) and WIDGET not in output["data"]:
                if "image/png" in output["data"] or "text/html" in output["data"]:
                    continue  # shown as the image or the HTML, not as this text
                text = output["data"]["text/plain"]
            else:
                continue
            for line in "".join(text).splitlines():
                yield index, line


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_printed_lines_fit_the_page(path):
    wide = [(i, len(line)) for i, line in printed_lines(path) if len(line) > WIDTH]
    assert not wide, f"(cell, width) of lines wider than {WIDTH} characters: {wide}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_printed_lines_show_no_folder_of_the_machine(path):
    found = [(i, line) for i, line in printed_lines(path) if PRIVATE_PATH.search(line)]
    assert not found, f"(cell, line) naming an absolute path: {found}"


def test_the_private_path_pattern_finds_folders_and_leaves_urls():
    assert PRIVATE_PATH.search("--output /work/seedruns/a.json, seed 0")
    assert PRIVATE_PATH.search("/home/me/x.json")
    assert not PRIVATE_PATH.search("https://example.org/work/x.json")
    assert not PRIVATE_PATH.search("results/work/x.json")
