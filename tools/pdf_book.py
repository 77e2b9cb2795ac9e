"""A Sphinx extension that turns the book into a PDF with Sphinx's LaTeX builder.

Loaded by ``_config.yml`` (``sphinx.local_extensions``) for every build, it changes nothing
for the website: each step below acts only when the builder is LaTeX (``make pdf``, which
runs ``jupyter-book build . --builder pdflatex`` through ``tools/pdf_build.py``).

- **Fonts and page.** XeLaTeX with the DejaVu fonts (serif text, sans headings, mono code,
  DejaVu Math for the math), so that every glyph the book uses (Greek, arrows, the stars
  of the exercise titles, the star operator, box drawing) exists in an embedded font.
  The few symbols that DejaVu Serif lacks are taken from DejaVu Sans. Long lines of code
  and output wrap at the printed width (Sphinx's ``verbatimwrapslines`` and
  ``verbatimforcewraps``), with a continuation mark, instead of running off the page.
- **Title page.** What the book is, its version (the git commit it was built from) and its
  licence (the website's footer, ``html.extra_footer`` in ``_config.yml``); the PDF's
  metadata (title, author, subject, keywords) and numbered bookmarks.
- **Animations as key frames.** An animation is stored in its notebook as the HTML of
  matplotlib's ``to_jshtml``, every frame a base64 PNG. For LaTeX, before myst-nb picks
  an output's format, the output is replaced by one image of a few key frames (the first,
  the last and evenly spaced ones between), each labelled "frame i of n", written into
  the LaTeX folder; the figure keeps its caption, number and label, and the caption says
  which frames are shown. The notebooks and their stored outputs are never changed: the
  frames come from the stored HTML at build time.
- **Solutions in an appendix per chapter.** The solutions (sphinx-exercise's ``solution``
  blocks and ``solution-start``/``solution-end`` gates) are moved from under their exercises
  to a section "Solutions to the exercises" at the end of their chapter. Each exercise
  ends with a link to its solution and its page, and each solution starts with a link back
  to its exercise and its page. With ``CONVBOOK_PDF_STUDENT=1`` (``make pdf STUDENT=1``)
  the solutions are left out, and the title page says so.
- **Appendix.** Parts are not used (a part "Chapters" would only repeat the table of
  contents); a page that the website leaves unnumbered (the instructors' page) becomes an
  appendix after the chapters.
- **Exercises in boxes.** sphinx-exercise draws exercises and solutions as Sphinx's
  ``note`` notices (the book has no other ``note``); they get a full frame, a tinted
  title and a light background.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

STUDENT_ENV = "CONVBOOK_PDF_STUDENT"
# Set by tools/pdf_build.py: this Sphinx run builds the PDF, not the website.
PDF_BUILD_ENV = "CONVBOOK_PDF_BUILD"
KEYFRAME_DIR = "keyframes"
# How many frames of an animation the PDF shows.
KEY_FRAMES = 4
# Symbols that DejaVu Serif (the text font) lacks; they are set in DejaVu Sans.
SANS_SYMBOLS = "★☆⋆✓✗"

_FRAME = re.compile(r'frames\[(\d+)\] = "data:image/(png|jpeg);base64,(.*?)"', re.DOTALL)
_ALT = re.compile(r'<img[^>]*\salt="([^"]*)"')


def student_edition() -> bool:
    """Whether this build leaves the solutions out (``CONVBOOK_PDF_STUDENT=1``)."""
    value = os.environ.get(STUDENT_ENV, "")
    if value not in ("", "0", "1"):
        raise ValueError(f"{STUDENT_ENV} must be 0 or 1 (or unset); got {value!r}")
    return value == "1"


# ---------------------------------------------------------------------------------------
# Animations


def frames_from_jshtml(markup: str) -> list[bytes]:
    """The frames of a matplotlib ``to_jshtml`` animation, as image files' bytes.

    Parameters
    ----------
    markup : str
        The HTML that ``Animation.to_jshtml`` returned, with its frames embedded.

    Returns
    -------
    list of bytes
        Every frame in order (PNG or JPEG data); empty if ``markup`` holds no embedded
        frames (it is not such an animation).

    Raises
    ------
    ValueError
        If the frames are not numbered 0, 1, 2, ... in order.

    Examples
    --------
    >>> one = base64.b64encode(b"first").decode()
    >>> two = base64.b64encode(b"second").decode()
    >>> markup = (f'frames[0] = "data:image/png;base64,{one}";\\n'
    ...           f'frames[1] = "data:image/png;base64,{two}";')
    >>> frames_from_jshtml(markup)
    [b'first', b'second']
    >>> frames_from_jshtml("<p>no animation</p>")
    []
    """
    found = _FRAME.findall(markup)
    numbers = [int(number) for number, _, _ in found]
    if numbers != list(range(len(numbers))):
        raise ValueError(f"animation frames are not numbered 0, 1, 2, ...: {numbers[:10]}")
    # to_jshtml continues long base64 strings with a backslash at the end of each line.
    return [base64.b64decode(data.replace("\\\n", "")) for _, _, data in found]


def key_frame_indices(count: int, keep: int = KEY_FRAMES) -> list[int]:
    """Which frames of an animation to print: the first, the last, and evenly between.

    Parameters
    ----------
    count : int
        The number of frames, at least 1.
    keep : int
        How many frames to keep, at least 2 (all of them if there are fewer).

    Returns
    -------
    list of int
        Increasing 0-based frame indices.

    Raises
    ------
    ValueError
        If ``count`` < 1 or ``keep`` < 2.

    Examples
    --------
    >>> key_frame_indices(9)
    [0, 3, 5, 8]
    >>> key_frame_indices(25)
    [0, 8, 16, 24]
    >>> key_frame_indices(3)
    [0, 1, 2]
    """
    if count < 1:
        raise ValueError(f"an animation needs at least one frame; got count={count}")
    if keep < 2:
        raise ValueError(f"keep must be at least 2 (the first and last frames); got {keep}")
    if count <= keep:
        return list(range(count))
    return [round(i * (count - 1) / (keep - 1)) for i in range(keep)]


def key_frame_montage(frames: list[bytes], indices: list[int]) -> bytes:
    """One PNG of the chosen frames in a grid, each labelled "frame i of n".

    Parameters
    ----------
    frames : list of bytes
        Every frame of the animation, as image files' bytes (all of one size).
    indices : list of int
        The 0-based frames to show, in order.

    Returns
    -------
    bytes
        The PNG, drawn at the frames' own resolution; the same input gives the same bytes.
    """
    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    images = [np.asarray(Image.open(io.BytesIO(frames[i])).convert("RGB")) for i in indices]
    height, width = images[0].shape[:2]
    # Wide frames two to a row; small ones all in one row.
    columns = 2 if width >= 600 else min(4, len(images))
    rows = -(-len(images) // columns)
    dpi = 100
    label, gap = 28, 12  # pixels under each frame for its label, and between frames
    cell_w, cell_h = width + gap, height + label + gap
    fig = Figure(figsize=(columns * cell_w / dpi, rows * cell_h / dpi), dpi=dpi)
    for n, (index, image) in enumerate(zip(indices, images, strict=True)):
        row, column = divmod(n, columns)
        left = (column * cell_w + gap / 2) / (columns * cell_w)
        bottom = 1 - ((row + 1) * cell_h - label - gap / 2) / (rows * cell_h)
        ax = fig.add_axes((left, bottom, width / (columns * cell_w), height / (rows * cell_h)))
        ax.imshow(image, interpolation="none")
        ax.set_axis_off()
        ax.text(
            0.5,
            -4 / height,
            f"frame {index + 1} of {len(frames)}",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=12,
        )
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def _html_of(bundle: nodes.Element) -> str | None:
    for mime in bundle.children:
        if mime.get("mime_type") == "text/html":
            return "".join(raw.astext() for raw in mime.findall(nodes.raw))
    return None


class AnimationKeyFrames(SphinxPostTransform):
    """For LaTeX: each stored ``to_jshtml`` animation becomes an image of its key frames.

    Runs before myst-nb's ``SelectMimeType`` (priority 4), which would otherwise print
    the animation's text form, ``<IPython.core.display.HTML object>``.
    """

    default_priority = 3
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        outdir = Path(self.app.builder.outdir) / KEYFRAME_DIR
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            markup = _html_of(bundle)
            if markup is None:
                continue
            frames = frames_from_jshtml(markup)
            if not frames:
                logger.warning(
                    "an HTML output that is not a to_jshtml animation has no form on paper; "
                    "give the cell a static twin or teach tools/pdf_book.py to print it",
                    location=bundle,
                )
                continue
            indices = key_frame_indices(len(frames))
            png = key_frame_montage(frames, indices)
            name = hashlib.sha256(png).hexdigest()[:20] + ".png"
            outdir.mkdir(parents=True, exist_ok=True)
            (outdir / name).write_bytes(png)
            alt = _ALT.search(markup)
            image = nodes.image(
                uri=f"{KEYFRAME_DIR}/{name}",
                candidates={"*": f"{KEYFRAME_DIR}/{name}"},
                alt=html.unescape(alt.group(1)) if alt else "key frames of an animation",
                width="100%",
            )
            bundle.replace_self(image)
            figure = image.parent
            while figure is not None and not isinstance(figure, nodes.figure):
                figure = figure.parent
            if figure is None:
                logger.warning("an animation outside a figure has no caption", location=image)
                continue
            shown = ", ".join(str(i + 1) for i in indices[:-1]) + f" and {indices[-1] + 1}"
            for caption in figure.findall(nodes.caption):
                caption += nodes.Text(
                    f" (Frames {shown} of the {len(frames)} that the website animates.)"
                )
                break


# ---------------------------------------------------------------------------------------
# Solutions


def _solutions_by_file(document: nodes.document, solution_type) -> list[tuple]:
    """Every solution with the node that holds it, grouped by the chapter file it is in.

    The LaTeX builder merges all files into one tree, under ``start_of_file`` nodes whose
    children keep their old ``parent``, so the tree is walked from the top instead of
    climbing from each solution.
    """
    from sphinx import addnodes

    groups: dict[int, tuple[nodes.Element | None, list]] = {}

    def walk(node: nodes.Element, owner: nodes.Element | None) -> None:
        for child in list(node.children):
            if isinstance(child, addnodes.start_of_file):
                walk(child, child)
            elif isinstance(child, solution_type):
                groups.setdefault(id(owner), (owner, []))[1].append((node, child))
            elif isinstance(child, nodes.Element):
                walk(child, owner)

    walk(document, None)
    return list(groups.values())


def _latex(text: str) -> nodes.raw:
    return nodes.raw("", text, format="latex")


class UnnumberedAsAppendices(SphinxPostTransform):
    """For LaTeX: the pages that the website leaves unnumbered become appendices.

    The book's chapters are numbered on the website (the part of ``_toc.yml`` with
    ``numbered: true``); the instructors' page is not. On paper, it follows the chapters
    as "Appendix A" instead of passing for chapter 6.
    """

    default_priority = 810
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx import addnodes

        numbered = {doc for doc, numbers in self.env.toc_secnumbers.items() if numbers}
        for node in self.document.findall(addnodes.start_of_file):
            docname = node.get("docname")
            if docname in self.env.all_docs and docname not in numbered:
                node.parent.insert(node.parent.index(node), _latex("\\appendix"))
                return


class SolutionsAppendix(SphinxPostTransform):
    """For LaTeX: move each chapter's solutions into a section at the chapter's end.

    With ``CONVBOOK_PDF_STUDENT=1`` the solutions are removed instead. Runs after
    sphinx-exercise has numbered and titled exercises and solutions (priorities 5-22).
    """

    default_priority = 800
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

        groups = _solutions_by_file(self.document, solution_node)
        if student_edition():
            for _, found in groups:
                for holder, solution in found:
                    holder.remove(solution)
            return
        exercises = {
            node.get("label"): node
            for node in self.document.findall(
                lambda n: isinstance(n, exercise_node | exercise_enumerable_node)
            )
        }
        for owner, found in groups:
            chapter = None
            if owner is not None:
                chapter = next(
                    (child for child in owner.children if isinstance(child, nodes.section)), None
                )
            if chapter is None:
                logger.warning(
                    "a solution outside any chapter stays where it is", location=found[0][1]
                )
                continue
            appendix = nodes.section(ids=[f"convbook-solutions-{_label_key(owner['docname'])}"])
            appendix += nodes.title(text="Solutions to the exercises")
            for holder, solution in found:
                target = solution.get("target_label")
                key = _label_key(solution.get("label"))
                holder.remove(solution)
                exercise = exercises.get(target)
                if exercise is None:
                    logger.warning(f"no exercise {target!r} for this solution", location=solution)
                else:
                    exercise += nodes.paragraph(
                        "",
                        "",
                        _latex(
                            r"\hfill\hyperref[convbook-solution:" + key + r"]{Solution on page~"
                            r"\pageref*{convbook-solution:" + key + r"}\,$\rightarrow$}"
                        ),
                    )
                    title_at = (
                        1
                        if solution.children and isinstance(solution.children[0], nodes.title)
                        else 0
                    )
                    solution.insert(
                        title_at,
                        nodes.paragraph(
                            "",
                            "",
                            _latex(
                                r"$\leftarrow$\,\hyperref[exercise:" + target + r"]{Back to the "
                                r"exercise, page~\pageref*{exercise:" + target + r"}}"
                            ),
                        ),
                    )
                appendix += _latex(r"\phantomsection\label{convbook-solution:" + key + "}")
                appendix += solution
            chapter += appendix


def _label_key(label: str) -> str:
    """A LaTeX label made of letters, digits and hyphens only."""
    return re.sub(r"[^A-Za-z0-9-]", "-", label or "")


# ---------------------------------------------------------------------------------------
# The LaTeX document


def git_version(root: Path) -> str:
    """The commit the book is built from, e.g. ``"commit 1a2b3c4d5e6f, 2026-12-06"``.

    It says ``"with uncommitted changes"`` when the working tree differs from the commit,
    and ``"version unknown (not a git checkout)"`` when git cannot tell.
    """
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h, %cs", "--abbrev=12"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "version unknown (not a git checkout)"
    if not commit:
        return "version unknown (no commit yet)"
    return f"commit {commit}" + (", with uncommitted changes" if dirty else "")


def _tex_escape(text: str) -> str:
    special = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(special.get(ch, ch) for ch in text)


def font_setup() -> str:
    r"""The LaTeX (after ``\usepackage{fontspec}`` and amsmath) that sets the book's fonts.

    DejaVu for text, headings, code and math; the symbols that DejaVu Serif lacks
    (``SANS_SYMBOLS``) are taken from DejaVu Sans wherever they occur.
    """
    symbols = "\n".join(
        rf"\newunicodechar{{{ch}}}{{{{\convbooksymbols {ch}}}}}" for ch in SANS_SYMBOLS
    )
    return rf"""\setmainfont{{DejaVu Serif}}
\setsansfont{{DejaVu Sans}}
\setmonofont{{DejaVu Sans Mono}}[Scale=0.85]
\usepackage{{unicode-math}}
\setmathfont{{DejaVu Math TeX Gyre}}
\usepackage{{newunicodechar}}
\newfontfamily\convbooksymbols{{DejaVu Sans}}
{symbols}
"""


PREAMBLE = r"""
%% --- tools/pdf_book.py ---
%(fonts)s
\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}
%% Tables without set widths (tabulary): no column narrower than a short word, which would
%% otherwise be hyphenated letter by letter ("sta-tus").
\setlength{\tymin}{5.5em}
%% sphinx-jupyterbook-latex wraps code cells in these (its class, unused here, defines
%% them): input on grey, output indented on white.
\usepackage[strict]{changepage}
\newenvironment{sphinxVerbatimInput}
  {\sphinxsetup{pre_background-TeXcolor={RGB}{246,246,246},
                pre_border-TeXcolor={RGB}{200,200,200}}}
  {}
\newenvironment{sphinxVerbatimOutput}
  {\sphinxsetup{pre_background-TeXcolor={RGB}{255,255,255},
                pre_border-TeXcolor={RGB}{225,225,225}}%%
   \begin{adjustwidth}{14pt}{}}
  {\end{adjustwidth}}
\hypersetup{
  pdftitle={%(title)s},
  pdfauthor={%(author)s},
  pdfsubject={%(subject)s},
  pdfkeywords={convolution, cross-correlation, padding, stride, pooling, LeNet-5, CNN},
  bookmarksnumbered=true,
  bookmarksopen=true,
  bookmarksopenlevel=1,
}
"""

TITLE_PAGE = r"""
\begin{titlepage}
  \centering
  \vspace*{3cm}
  {\sffamily\bfseries\Huge %(title)s\par}
  \vspace{1cm}
  {\Large %(subject)s\par}
  \vspace{1.5cm}
  {\large %(author)s\par}
  \vspace{1cm}
  {\large %(edition)s\par}
  \vfill
  {\small Version: %(version)s\par}
  \vspace{0.4cm}
  {\small Licence. %(licence)s\par}
\end{titlepage}
"""

SUBJECT = (
    "A course textbook on the 2D convolution of convolutional neural networks: the formula, "
    "padding and stride, channels, pooling and LeNet-5"
)


def configure_latex(app, config) -> None:
    """Set the LaTeX options (after sphinx-jupyterbook-latex has set its own)."""
    # sphinx-jupyterbook-latex would use its jupyterBook class, which needs bbm.sty from
    # texlive-fonts-extra (a large download); Sphinx's own "manual" class does the job.
    config.latex_theme = "manual"
    config.latex_engine = "xelatex"
    config.latex_show_urls = "footnote"
    config.latex_show_pagerefs = True
    config.latex_domain_indices = False
    values = _title_values(config)
    config.latex_elements = {
        "papersize": "a4paper",
        "pointsize": "10pt",
        # Set in the preamble instead (font_setup), after sphinx.sty and the packages it
        # loads, as unicode-math wants; Sphinx's default would ask for FreeSerif.
        "fontpkg": "",
        "fncychap": r"\usepackage[Bjarne]{fncychap}",
        "sphinxsetup": ",".join(
            [
                "hmargin={2.2cm,2.2cm}",
                "vmargin={2.4cm,2.6cm}",
                # Long code and output lines wrap, even where they have no space to break at.
                "verbatimwrapslines=true",
                "verbatimforcewraps=true",
                "verbatimmaxoverfull=1",
                "verbatimmaxunderfull=2",
                # Exercises and solutions (sphinx-exercise draws them as notes) in a frame.
                "div.note_border-width=0.8pt",
                "div.note_border-TeXcolor={RGB}{0,92,158}",
                "div.note_background-TeXcolor={RGB}{243,248,253}",
                "div.note_title-background-TeXcolor={RGB}{214,231,246}",
                "div.note_padding=6pt",
                "div.note_border-radius=2pt",
            ]
        ),
        "figure_align": "htbp",
        "preamble": PREAMBLE % values,
        "maketitle": "",  # set in set_version, for LaTeX builds only (it runs git)
        # The root page (the website's landing page) is the preface on paper.
        "tableofcontents": (
            r"\sphinxtableofcontents"
            "\n"
            r"\chapter*{Preface}\addcontentsline{toc}{chapter}{Preface}\markboth{Preface}{Preface}"
        ),
        "printindex": "",
        "makeindex": "",
    }


def _title_values(config) -> dict[str, str]:
    footer = config.html_theme_options.get("extra_footer", "")
    licence = re.sub(r"<[^>]+>", "", footer).strip()
    if not licence:
        raise ValueError(
            "the title page takes the licence from html.extra_footer in _config.yml, which is empty"
        )
    return {
        "title": _tex_escape(config.html_title),
        "author": _tex_escape(config.author),
        "subject": _tex_escape(SUBJECT),
        "fonts": font_setup(),
        "licence": _tex_escape(licence),
    }


def set_version(app) -> None:
    """For LaTeX builds: the title page, with the commit and the edition."""
    if app.builder.format != "latex":
        return
    # sphinx-jupyterbook-latex numbers by section ("Exercise 1.8.1") when it makes parts;
    # the website, and so the PDF, number figures and exercises by chapter ("Fig. 1.3",
    # "Exercise 1.1").
    app.config.numfig_secnum_depth = 1
    version = git_version(Path(app.srcdir))
    values = _title_values(app.config)
    values["version"] = _tex_escape(version)
    values["edition"] = (
        "Student edition: without the solutions"
        if student_edition()
        else "With the solutions of the exercises, in an appendix to each chapter"
    )
    # The builder has already copied latex_elements into its context.
    app.builder.context["maketitle"] = TITLE_PAGE % values
    # Not in every page's header as "Release ...": the title page says it.
    app.builder.context["release"] = ""
    logger.info(
        "pdf_book: %s, %s", version, "student edition" if student_edition() else "with solutions"
    )


def drop_missing_static_paths(app, config) -> None:
    """For the PDF: forget html_static_path entries that do not exist yet.

    The website's static files (``_build/vendor/site``) are fetched by ``make book``; a
    PDF built first, from a fresh clone, does not need them, but Sphinx warns about the
    missing folder whatever the builder, and warnings are errors. Only when
    ``tools/pdf_build.py`` runs Sphinx; before Sphinx's own check (priority 800).
    """
    if os.environ.get(PDF_BUILD_ENV) != "1":
        return
    root = Path(app.confdir)
    config.html_static_path = [p for p in config.html_static_path if (root / p).exists()]


def setup(app):
    student_edition()  # a bad value of CONVBOOK_PDF_STUDENT fails at once
    app.connect("config-inited", drop_missing_static_paths, priority=700)
    app.connect("config-inited", configure_latex, priority=900)
    # After sphinx-jupyterbook-latex's own builder-inited handler (priority 500).
    app.connect("builder-inited", set_version, priority=900)
    app.add_post_transform(AnimationKeyFrames)
    app.add_post_transform(SolutionsAppendix)
    app.add_post_transform(UnnumberedAsAppendices)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
