"""Build the book as a PDF: ``make pdf`` (with solutions) or ``make pdf STUDENT=1`` (without).

Runs Jupyter Book's LaTeX builder (``jupyter-book build . --builder pdflatex``: Sphinx
writes ``_build/latex/convolution-book.tex``, then latexmk runs XeLaTeX until every
reference is resolved), with ``tools/pdf_book.py`` doing what the PDF needs, then checks
XeLaTeX's log and copies the PDF to ``_build/pdf/convolution-book.pdf`` (or
``convolution-book-student.pdf``). It fails, saying why, when:

- XeLaTeX, latexmk or a font is missing (Debian: ``apt-get install --no-install-recommends
  texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk fontconfig
  fonts-dejavu-core fonts-dejavu-extra``);
- the log says a glyph is missing from its font (it would print as an empty box) or a
  reference or citation is undefined (it would print as "??").

The two editions share ``_build/latex``, so build them one after the other.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATEX = ROOT / "_build" / "latex"
OUT = ROOT / "_build" / "pdf"
NAME = "convolution-book"
TOOLS = ("xelatex", "latexmk")
FONTS = ("DejaVu Serif", "DejaVu Sans", "DejaVu Sans Mono", "DejaVu Math TeX Gyre")

# What XeLaTeX writes to its log for a glyph no font has, and for an unresolved reference.
MISSING_GLYPH = re.compile(r"Missing character: There is no (.+?) in font (.+?)!?$", re.M)
UNDEFINED = re.compile(r"LaTeX Warning: (Reference|Citation|Hyper reference) .*undefined")


def missing_setup() -> list[str]:
    """What the PDF build needs and this machine lacks (programs and fonts)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if shutil.which("fc-list") is None:
        return [*missing, "fc-list (fontconfig)"]
    for family in FONTS:
        found = subprocess.run(
            ["fc-list", family, "family"],
            capture_output=True,
            text=True,
        ).stdout
        if not any(family in line.split(",") for line in found.splitlines()):
            missing.append(f"the font {family!r}")
    return missing


def log_problems(log: str) -> list[str]:
    """Missing glyphs and undefined references that XeLaTeX's last run reported.

    Examples
    --------
    >>> log_problems("Missing character: There is no ★ (U+2605) in font DejaVu Serif/OT;!")
    ['missing glyph ★ (U+2605) in font DejaVu Serif/OT;']
    >>> log_problems("LaTeX Warning: Reference `fig' on page 3 undefined on input line 7.")
    ["LaTeX Warning: Reference `fig' on page 3 undefined on input line 7."]
    >>> log_problems("Output written on book.pdf (9 pages).")
    []
    """
    problems = [f"missing glyph {char} in font {font}" for char, font in MISSING_GLYPH.findall(log)]
    problems += [line.strip() for line in log.splitlines() if UNDEFINED.search(line)]
    return list(dict.fromkeys(problems))


def build(student: bool) -> Path:
    """Build one edition; return the path of its PDF."""
    missing = missing_setup()
    if missing:
        sys.exit(
            "make pdf needs " + ", ".join(missing) + ". On Debian: apt-get install "
            "--no-install-recommends texlive-xetex texlive-latex-extra "
            "texlive-fonts-recommended latexmk fontconfig fonts-dejavu-core fonts-dejavu-extra"
        )
    env = dict(os.environ, CONVBOOK_PDF_STUDENT="1" if student else "0", CONVBOOK_PDF_BUILD="1")
    # latexmk stops at the first LaTeX error instead of waiting for input.
    env["LATEXMKOPTS"] = "-halt-on-error -interaction=nonstopmode -file-line-error"
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--builder", "pdflatex", "--quiet"]
    command += ["--warningiserror", "--nitpick", "--keep-going"]
    # The stale .tex of the other edition must not be compiled by mistake.
    (LATEX / f"{NAME}.pdf").unlink(missing_ok=True)
    print(f"building the {'student ' if student else ''}PDF (about a minute)", flush=True)
    # XeLaTeX prints thousands of lines; they are shown only when the build fails (the full
    # LaTeX log is kept beside the PDF either way).
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    log_file = LATEX / f"{NAME}.log"
    pdf = LATEX / f"{NAME}.pdf"
    if result.returncode != 0 or not pdf.exists():
        printed = (result.stdout + result.stderr)[-3000:]
        tail = log_file.read_text(errors="replace")[-3000:] if log_file.exists() else ""
        sys.exit(f"the PDF build failed (exit status {result.returncode}).\n{printed}\n{tail}")
    problems = log_problems(log_file.read_text(errors="replace"))
    if problems:
        sys.exit(f"{log_file} reports:\n  " + "\n  ".join(problems))
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / (f"{NAME}-student.pdf" if student else f"{NAME}.pdf")
    shutil.copyfile(pdf, target)
    shutil.copyfile(log_file, target.with_suffix(".log"))
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", action="store_true", help="leave the solutions out")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    target = build(args.student)
    pages = re.search(
        r"Output written on .*?\((\d+) pages?", target.with_suffix(".log").read_text()
    )
    print(
        f"{target.relative_to(ROOT)}: {pages.group(1) if pages else '?'} pages, "
        f"{target.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
