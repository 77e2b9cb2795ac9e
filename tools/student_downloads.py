"""A Sphinx extension: the website hands out the student version of each chapter.

Loaded by ``_config.yml`` (``sphinx.local_extensions``). A chapter page's download
button and its Colab and Binder buttons would otherwise give a student the instructor's
notebook, with every answer cell already filled in. So, for each chapter that has a
published student version (``chapters/student/<name>.ipynb``, which ``make execute``
writes and a test keeps equal to a fresh student version):

- the launch buttons open ``chapters/student/<name>.ipynb`` instead of the chapter;
- the downloaded ``.ipynb`` (``_sources/chapters/<name>.ipynb``) is the student version.

The page itself still shows the solutions collapsed, as the book's plan says; only the
notebooks a student runs come without them. An instructor's notebooks are the ones in
``chapters/`` of the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where the published student versions are, relative to the book's root.
PUBLISHED = "chapters/student"


def published(srcdir: str | Path, docname: str) -> Path | None:
    """The published student version of the page ``docname``, or None.

    Examples
    --------
    >>> published(ROOT, "chapters/00_preface") is None
    True
    >>> published(ROOT, "chapters/01_convolution").name
    '01_convolution.ipynb'
    """
    folder, _, name = docname.rpartition("/")
    if folder != "chapters":
        return None
    path = Path(srcdir) / PUBLISHED / f"{name}.ipynb"
    return path if path.is_file() else None


def _retarget(buttons, chapter_path: str, student_path: str) -> int:
    """Point every launch URL that opens ``chapter_path`` at ``student_path``; count them."""
    changed = 0
    for button in buttons:
        if not isinstance(button, dict):
            continue
        url = button.get("url")
        if isinstance(url, str) and "_sources/" not in url and url.endswith(chapter_path):
            button["url"] = url[: -len(chapter_path)] + student_path
            changed += 1
        changed += _retarget(button.get("buttons", []), chapter_path, student_path)
    return changed


def launch_student_versions(app, pagename, templatename, context, doctree):
    if published(app.srcdir, pagename) is None:
        return
    name = pagename.rpartition("/")[2]
    _retarget(
        context.get("header_buttons", []),
        f"chapters/{name}.ipynb",
        f"{PUBLISHED}/{name}.ipynb",
    )


def download_student_versions(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources" / "chapters"
    for copy in sorted((Path(app.srcdir) / PUBLISHED).glob("*.ipynb")):
        target = sources / copy.name
        if target.is_file():
            shutil.copyfile(copy, target)


def setup(app):
    # After sphinx-book-theme has added its buttons (at the default priority, 500).
    app.connect("html-page-context", launch_student_versions, priority=950)
    app.connect("build-finished", download_student_versions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
