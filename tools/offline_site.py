"""A Sphinx extension that keeps every page of the book loadable with no internet.

Loaded by ``_config.yml`` (``sphinx.local_extensions``). On each HTML page it:

- drops the scripts of sphinx-thebe (which Jupyter Book always loads) when the Thebe
  launch button is off: they name a CDN and were included twice, which throws a
  JavaScript error ("THEBE_JS_URL has already been declared") on every page;
- drops exact duplicates among the page's scripts;
- warns (an error under ``--warningiserror``, as ``make book`` builds) for any script or
  style sheet that would still be fetched from another host.
"""

from __future__ import annotations

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _is_outside(url: str | None) -> bool:
    return bool(url) and ("://" in url or url.startswith("//"))


def _thebe_on(app) -> bool:
    launch = app.config.html_theme_options.get("launch_buttons", {})
    return bool(launch.get("thebe"))


def _is_thebe(script) -> bool:
    body = script.attributes.get("body", "")
    return "THEBE_JS_URL" in body or (script.filename or "").endswith("sphinx-thebe.js")


def keep_page_offline(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is None:
        return
    kept, seen = [], set()
    for script in scripts:
        if not _thebe_on(app) and _is_thebe(script):
            continue
        key = (script.filename, tuple(sorted(script.attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept  # the builder restores its own list before the next page
    outside = [s.filename for s in scripts if _is_outside(s.filename)]
    outside += [c.filename for c in context.get("css_files", []) if _is_outside(c.filename)]
    for url in outside:
        logger.warning(
            "page %s would load %s from another host; serve it from the site instead",
            pagename,
            url,
            location=pagename,
        )


def setup(app):
    app.connect("html-page-context", keep_page_offline, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
