"""The book as a PDF (``make pdf`` and ``make pdf STUDENT=1``), read back with poppler-utils.

The PDF tests read ``_build/pdf/convolution-book.pdf`` and ``convolution-book-student.pdf``,
built beforehand (as the website tests read the site that ``make book`` built; ``.ci/run``
builds both before ``make test``), and check: bookmarks for every chapter; every font
embedded, with no glyph missing (XeLaTeX's log) and the book's special characters present;
no "??" (an unresolved reference) and no "�"; each chapter's title and every figure caption
of the website; at least as many images as the website has figures; the title page's
commit, licence and the PDF's metadata; exercises linked to their solutions and back; and
no solution text in the student edition, all of it in the other.

Without XeLaTeX and poppler-utils, or before ``make pdf``, these tests are skipped and say
why; with ``CONVBOOK_REQUIRE_PDF=1`` (set by ``.ci/run``) a skip is a failure instead. The
tests of the build's own helpers (key frames of the stored animations, the log check) run
everywhere.
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PDF_DIR = ROOT / "_build" / "pdf"
FULL = PDF_DIR / "convolution-book.pdf"
STUDENT = PDF_DIR / "convolution-book-student.pdf"
REQUIRE_PDF = os.environ.get("CONVBOOK_REQUIRE_PDF") == "1"
POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdfimages", "pdftohtml")


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # doctest looks the module up by name
    spec.loader.exec_module(module)
    return module


pdf_book = _load_tool("pdf_book")
pdf_build = _load_tool("pdf_build")


def chapter_sources() -> list[Path]:
    """Every page of _toc.yml, in reading order, as its source file."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]
    for part in toc.get("parts", []):
        names += [chapter["file"] for chapter in part.get("chapters", [])]
    sources = []
    for name in names:
        found = [p for p in sorted(ROOT.glob(name + ".*")) if p.suffix in (".md", ".ipynb")]
        sources += found[:1]
    return sources


def notebooks() -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text())) for p in chapter_sources() if p.suffix == ".ipynb"]


def _shown_cells(notebook: dict):
    for cell in notebook["cells"]:
        if "remove-cell" not in cell.get("metadata", {}).get("tags", []):
            yield cell


def animations() -> list[tuple[str, str]]:
    """(figure name, stored HTML) of every to_jshtml animation that a page shows."""
    found = []
    for path, notebook in notebooks():
        for cell in _shown_cells(notebook):
            for output in cell.get("outputs", []):
                markup = "".join(output.get("data", {}).get("text/html", ""))
                if "frames[0]" in markup:
                    name = cell["metadata"].get("mystnb", {}).get("figure", {}).get("name")
                    found.append((f"{path.name}:{name}", markup))
    return found


# --- the build's helpers: no TeX needed -------------------------------------------------


def test_the_build_tools_docstring_examples():
    for module in (pdf_book, pdf_build):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0, f"{module.__name__} has no examples"
        assert result.failed == 0, f"{module.__name__}: {result.failed} examples failed"


def test_every_stored_animation_gives_a_figure_of_key_frames():
    from PIL import Image

    found = animations()
    assert len(found) >= 9, "the chapters have (at least) nine animations"
    for name, markup in found:
        frames = pdf_book.frames_from_jshtml(markup)
        assert len(frames) >= 2, name
        indices = pdf_book.key_frame_indices(len(frames))
        assert indices[0] == 0 and indices[-1] == len(frames) - 1, name
        png = pdf_book.key_frame_montage(frames, indices)
        frame = Image.open(io.BytesIO(frames[0]))
        montage = Image.open(io.BytesIO(png))
        # Every frame at its own resolution, in a grid: at least two frames across.
        assert montage.width >= 2 * frame.width, name
        assert montage.height >= frame.height, name
        assert png == pdf_book.key_frame_montage(frames, indices), f"{name}: not reproducible"


def test_key_frames_refuse_bad_counts():
    with pytest.raises(ValueError, match="at least one frame"):
        pdf_book.key_frame_indices(0)
    with pytest.raises(ValueError, match="keep must be at least 2"):
        pdf_book.key_frame_indices(9, keep=1)


def test_frames_out_of_order_are_refused():
    markup = 'frames[1] = "data:image/png;base64,AAAA";'
    with pytest.raises(ValueError, match="not numbered"):
        pdf_book.frames_from_jshtml(markup)


def test_a_bad_student_setting_is_refused(monkeypatch):
    monkeypatch.setenv(pdf_book.STUDENT_ENV, "yes")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        pdf_book.student_edition()


# Greek, arrows, the star operator and the asterisk operator, the exercises' stars, box
# drawing (of a printed table), and accents: what the book uses or may soon.
GLYPHS = "αβγδκσ ΣΔΩ → ← ↔ ⇒ ⋆ ∗ ★ ☆ × − ≤ ≥ ≈ ┌─┬─┐ │ ├─┼─┤ └─┴─┘ é ü"


def test_the_fonts_have_every_glyph_the_book_may_use(tmp_path):
    """The book's font set-up, in a small document: each glyph, each style, embedded."""
    setup = pdf_build.missing_setup()
    if setup:
        _skip_or_fail("TeX Live is not installed: " + ", ".join(setup))
    styles = [GLYPHS] + [rf"\{style}{{{GLYPHS}}}" for style in ("textbf", "textit", "textsf")]
    styles += [rf"\texttt{{{GLYPHS}}}", r"$\alpha \star \ast \rightarrow \Sigma \leq$"]
    tex = "\n".join(
        [r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage{fontspec}"]
        + [pdf_book.font_setup(), r"\begin{document}", "\n\n".join(styles), r"\end{document}"]
    )
    (tmp_path / "glyphs.tex").write_text(tex)
    subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "glyphs.tex"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    log = (tmp_path / "glyphs.log").read_text(errors="replace")
    assert pdf_build.log_problems(log) == []
    pdf = str(tmp_path / "glyphs.pdf")
    rows = _run("pdffonts", pdf).splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), "fonts not embedded"
    printed = _run("pdftotext", "-enc", "UTF-8", pdf, "-")
    missing = sorted({ch for ch in GLYPHS if not ch.isspace() and printed.count(ch) < 4})
    assert missing == [], "not printed in every text style"


# --- the built PDFs ---------------------------------------------------------------------


def _skip_or_fail(message: str):
    if REQUIRE_PDF:
        pytest.fail(message + " (CONVBOOK_REQUIRE_PDF=1)", pytrace=False)
    pytest.skip(message)


def _need(pdf: Path) -> Path:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        _skip_or_fail("poppler-utils are not installed (" + ", ".join(missing) + ")")
    if not pdf.exists():
        setup = pdf_build.missing_setup()
        why = f" and this machine lacks {', '.join(setup)}" if setup else ""
        command = "make pdf STUDENT=1" if pdf == STUDENT else "make pdf"
        _skip_or_fail(f"{pdf.relative_to(ROOT)} is not built: run {command}{why}")
    # A PDF of an older commit says nothing about this one.
    built = re.search(r"Version: commit (\w+)", _run("pdftotext", "-l", "1", str(pdf), "-"))
    head = _run("git", "-C", str(ROOT), "log", "-1", "--format=%h", "--abbrev=12").strip()
    if built is None or built.group(1) != head:
        command = "make pdf STUDENT=1" if pdf == STUDENT else "make pdf"
        found = built.group(1) if built else "an unknown commit"
        _skip_or_fail(f"{pdf.relative_to(ROOT)} is of {found}, not of HEAD ({head}): run {command}")
    return pdf


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


# The running head and foot of a page (A4, 595 x 842 pt) lie in its top 62 pt and its
# bottom 68 pt; the body's text is read without them, so that a paragraph continued on the
# next page reads as one.
BODY = ("-x", "0", "-y", "62", "-W", "595", "-H", "712")


@cache
def text_of(pdf: Path, body_only: bool = True) -> str:
    crop = BODY if body_only else ()
    return _run("pdftotext", "-layout", *crop, "-enc", "UTF-8", str(pdf), "-")


def squeeze(text: str) -> str:
    """Text compared without spaces, line breaks, hyphens or typographic quotes.

    LaTeX breaks and hyphenates lines, and turns quotes into curly ones, so a sentence of
    the source is found in ``pdftotext``'s output only after both are squeezed alike.
    """
    for curly, plain in {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}.items():
        text = text.replace(curly, plain)
    return re.sub(r"[\s\-‐]+", "", text)


@pytest.fixture(scope="module")
def full() -> Path:
    return _need(FULL)


@pytest.fixture(scope="module")
def student() -> Path:
    return _need(STUDENT)


@pytest.fixture(params=["full", "student"])
def either(request) -> Path:
    return request.getfixturevalue(request.param)


def test_title_page_and_metadata(either):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    first_page = squeeze(_run("pdftotext", "-l", "1", str(either), "-"))
    assert squeeze(config["title"]) in first_page
    assert squeeze(config["html"]["extra_footer"]) in first_page, "the licence"
    edition = "Studentedition" if either == STUDENT else "Withthesolutions"
    assert edition in first_page
    assert re.search(r"Version:commit[0-9a-f]{12},\d{8}", first_page), "the commit and its date"
    info = _run("pdfinfo", str(either))
    assert re.search(r"^Title:\s+" + re.escape(config["title"]) + "$", info, re.M)
    assert re.search(r"^Author:\s+" + re.escape(config["author"]) + "$", info, re.M)
    assert re.search(r"^Subject:\s+A course textbook on the 2D convolution", info, re.M)


def test_bookmarks_for_every_chapter_and_section(either):
    outline = _run("pdftohtml", "-xml", "-i", "-q", "-stdout", str(either))
    items = re.findall(r'<item page="\d+">(.*?)</item>', outline.split("<outline>", 1)[-1])
    titles = [squeeze(item) for item in items]
    for _, notebook in notebooks():
        heading = _chapter_title(notebook)
        assert any(title.endswith(squeeze(heading)) for title in titles), heading
    assert "Preface" in titles
    assert sum(title.startswith("1.") for title in titles) >= 5, "sections of chapter 1"


def _chapter_title(notebook: dict) -> str:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", "".join(cell["source"]), re.M)
            if match:
                return match.group(1).strip()
    raise AssertionError("a chapter without a '# Title'")


def test_every_font_is_embedded_and_no_glyph_is_missing(either):
    rows = _run("pdffonts", str(either)).splitlines()[2:]
    assert rows, "pdffonts lists no font"
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not_embedded == [], "fonts not embedded"
    log = either.with_suffix(".log")
    assert log.exists(), f"{log.name} is kept beside the PDF by make pdf"
    assert pdf_build.log_problems(log.read_text(errors="replace")) == []


def test_the_book_s_special_characters_are_printed(either):
    text = text_of(either)
    # The exercises' stars (text font), the star operator (code) and Greek (math).
    for character in ("★", "⋆"):
        assert character in text, character


def test_no_unresolved_reference_and_no_replacement_character(either):
    text = text_of(either, body_only=False)
    lines = [line for line in text.splitlines() if "??" in line or "�" in line]
    assert lines == []


def test_every_chapter_title_and_figure_caption_is_printed(either):
    text = squeeze(text_of(either))
    captions = 0
    for chapter, (path, notebook) in enumerate(notebooks(), start=1):
        assert squeeze(_chapter_title(notebook)) in text, path.name
        number = 0
        for cell in _shown_cells(notebook):
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
            if caption:
                captions += 1
                number += 1
                # Math in a caption is typeset, so the words around it are what is compared;
                # the first words follow the figure's number, the website's "Fig. 3.2".
                words = [w for w in re.split(r"\$[^$]*\$", caption) if len(w.strip()) > 3]
                assert squeeze(f"Fig. {chapter}.{number}: {words[0]}") in text, (
                    f"{path.name}, Fig. {chapter}.{number}: {caption[:60]}"
                )
                for part in words[1:]:
                    assert squeeze(part) in text, f"{path.name}: {caption[:60]}"
    assert captions >= 30, "the chapters have more than 30 captioned figures"


def test_at_least_as_many_images_as_the_website_has_figures(either):
    figures = 0
    for _, notebook in notebooks():
        for cell in _shown_cells(notebook):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                figures += "image/png" in data or "frames[0]" in "".join(data.get("text/html", ""))
    rows = _run("pdfimages", "-list", str(either)).splitlines()[2:]
    images = [row for row in rows if row.split()[2] == "image"]
    assert len(images) >= figures, f"{len(images)} images for {figures} figures"
    # Each animation is one figure of key frames, with its caption saying which frames.
    assert squeeze(text_of(either)).count("thatthewebsiteanimates") == len(animations())


def solutions() -> list[tuple[str, list[tuple[str, str]]]]:
    """(exercise label, lines as (cell type, text)) of every solution in the chapters.

    Both forms: a ``solution`` directive in a markdown cell, and the cells between
    ``solution-start`` and ``solution-end``.
    """
    found = []
    for path, notebook in notebooks():
        gated = None
        for cell in _shown_cells(notebook):
            source = "".join(cell["source"])
            start = re.search(r"```\{solution-start\} (\S+)", source)
            if start:
                gated = (f"{path.name}:{start.group(1)}", [])
                found.append(gated)
                continue
            if "```{solution-end}" in source:
                gated = None
                continue
            if gated is not None:
                gated[1].extend((cell["cell_type"], line) for line in source.splitlines())
            if cell["cell_type"] == "markdown":
                for label, body in re.findall(r"::::\{solution\} (\S+)\n(.*?)\n::::", source, re.S):
                    found.append(
                        (f"{path.name}:{label}", [("markdown", x) for x in body.splitlines()])
                    )
    return found


def lines_outside_solutions() -> set[str]:
    """Every code line of the chapters outside a solution, and every line those cells print,
    squeezed: a solution's line that the book also shows (an import, a measurement
    repeated, a loop of chapter 1's printed source) is no sign of a solution."""
    outside = set()
    for _, notebook in notebooks():
        gated = False
        for cell in _shown_cells(notebook):
            source = "".join(cell["source"])
            if re.search(r"```\{solution-start\}", source):
                gated = True
            elif "```{solution-end}" in source:
                gated = False
            elif not gated and cell["cell_type"] == "code":
                outside.update(squeeze(line) for line in source.splitlines())
                for output in cell.get("outputs", []):
                    text = output.get("text") or output.get("data", {}).get("text/plain", "")
                    text = "".join(text) if isinstance(text, list) else text
                    outside.update(squeeze(line) for line in text.splitlines())
    return outside


def exercise_count() -> int:
    return sum(
        len(re.findall(r"^:::\{exercise\}", "".join(cell["source"]), re.M))
        for _, notebook in notebooks()
        for cell in _shown_cells(notebook)
        if cell["cell_type"] == "markdown"
    )


def _checkable(lines: list[tuple[str, str]]) -> list[str]:
    """Lines that print as they are written: code as it is, prose without markup or math."""
    keep = []
    for kind, line in lines:
        line = line.strip()
        # A code line longer than this may wrap, with a continuation mark in between.
        too_long = kind == "code" and len(line) > 80
        if len(line) < 16 or too_long or line.startswith((":", "```", "###")):
            continue
        if kind == "markdown" and any(mark in line for mark in "$`*[]{}\\_<>|"):
            continue
        keep.append(squeeze(line))
    return keep


def test_solutions_are_in_the_full_pdf_and_not_in_the_student_pdf(full, student):
    found = solutions()
    assert len(found) == exercise_count(), "every exercise has one solution"
    full_text, student_text = squeeze(text_of(full)), squeeze(text_of(student))
    outside = "\n".join(lines_outside_solutions())  # a line's start is shown too
    for label, lines in found:
        snippets = [s for s in _checkable(lines) if s not in outside]
        assert snippets, f"{label}: no line of this solution can be looked for"
        for snippet in snippets:
            assert snippet in full_text, f"{label}: {snippet!r} is missing from {full.name}"
            assert snippet not in student_text, f"{label}: {snippet!r} is in {student.name}"
    assert full_text.count("SolutiontoExercise") == len(found)
    assert "SolutiontoExercise" not in student_text


def test_exercises_and_solutions_link_both_ways(full, student):
    count = len(solutions())
    assert squeeze(text_of(full)).count("Solutiononpage") == count
    assert squeeze(text_of(full)).count("Backtotheexercise,page") == count
    assert "Solutiononpage" not in squeeze(text_of(student))
    # The links are live: one internal link per exercise and per solution, at least.
    links = _run("pdftohtml", "-xml", "-i", "-q", "-stdout", str(full)).count("<a href=")
    assert links >= 2 * count
