"""Exercise rules that no checker can enforce are flagged, in the text and for instructors.

A checker compares results only, so "do not call `lib`" cannot be enforced: a function
that calls the library passes. The book's rule is to say so next to the rule, in the
exercise text (and so in the student version), and to list the exercise on the
instructors' page. This test finds the rules by their usual wording (a rule worded
otherwise escapes it: review new exercises by hand too).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb"))
#: How the exercise texts word a rule about the way of working.
RULE = re.compile(r"Do not call|not `lib`|not `torch`|Use only|no convolution|loops only")
FLAG = "the checker compares results only"


def exercises(path):
    """(function name, exercise text with its lines joined) for each exercise to write."""
    for cell in json.loads(path.read_text())["cells"]:
        text = " ".join("".join(cell["source"]).split())
        if cell["cell_type"] != "markdown" or ":::{exercise}" not in text:
            continue
        exercise = text.split(":::{exercise}", 1)[1].split(":::", 1)[0]
        name = re.search(r"Write `(\w+)\(", exercise)
        if name:
            yield name.group(1), exercise


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_unenforceable_rules_are_flagged_and_listed_for_instructors(path):
    instructors = " ".join((ROOT / "chapters" / "instructors.md").read_text().split())
    for name, text in exercises(path):
        if RULE.search(text):
            assert FLAG in text.lower(), f"{path.name}, {name}: say that the checker cannot tell"
        if FLAG in text.lower():
            assert f"`{name}`" in instructors, f"instructors.md does not list {name}'s rule"


def test_the_rule_finder_finds_the_known_rules():
    found = {name for path in CHAPTERS for name, text in exercises(path) if RULE.search(text)}
    assert {"conv2d_multichannel", "pointwise_conv", "max_pool_with_indices"} <= found
