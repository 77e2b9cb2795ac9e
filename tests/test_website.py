"""The website, as a reader gets it: every page of _toc.yml in headless Chromium, offline.

The site is served from ``_build/html`` on 127.0.0.1 and every request to any other host
is blocked (and recorded), as in a classroom with no internet. Each page is checked for:
math typeset by the site's own MathJax, images with alt text (not a file name) and
notebook figures with a caption, animations that advance when played, no widget controls
that need a kernel, no console error, no outside or failed request, internal links that
resolve, download and launch buttons, nothing wider than a phone screen, and an axe-core
accessibility audit with no serious or critical violation; the local search is tried
once. A full-page screenshot of each page at desktop (1280 px) and phone (390 px) width
is kept in ``artifacts/website/`` (JPEG).

These tests need the built site (``make book``) and Debian's Chromium (``apt-get install
chromium``), driven by Playwright from PyPI; without them they are skipped, and say why.
With ``CONVBOOK_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a skip is a failure instead.

The checks that need no browser (the site's configuration, the offline extension, colour
maps and the Colab cell of every chapter) run everywhere.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import sys
import threading
import time
import types
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Another build and table of contents can be tested (a chapter's draft build, say) with
# CONVBOOK_SITE=path/to/_build/html and CONVBOOK_TOC=path/to/toc.yml.
SITE = Path(os.environ.get("CONVBOOK_SITE", ROOT / "_build" / "html"))
TOC = Path(os.environ.get("CONVBOOK_TOC", ROOT / "_toc.yml"))
AXE = ROOT / "_build" / "vendor" / "test" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "website"
REQUIRE_BROWSER = os.environ.get("CONVBOOK_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
]
# The one console warning allowed: the widget manager's JSON-schema validator (ajv) notes
# that the ipywidgets state schema uses union types; it validates the state all the same.
KNOWN_WARNING = re.compile(r"^strict mode: use allowUnionTypes to allow union type keyword")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute_notebooks = _load_tool("execute_notebooks")


def toc_sources() -> list[Path]:
    """Every page of the book, in reading order, as its source file."""
    toc = yaml.safe_load(TOC.read_text())
    names = [toc["root"]]
    for part in toc.get("parts", []):
        names += [chapter["file"] for chapter in part.get("chapters", [])]
    sources = []
    for name in names:
        found = sorted(ROOT.glob(name + ".*"))
        sources += [p for p in found if p.suffix in (".md", ".ipynb")][:1]
    return sources


PAGES = [str(p.relative_to(ROOT).with_suffix(".html")) for p in toc_sources()]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


# --- what needs no browser --------------------------------------------------------------


def test_assets_are_served_by_the_site_itself():
    sphinx = CONFIG["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"]
    assert all("://" not in path for path in sphinx["nb_ipywidgets_js"])
    assert "_build/vendor/site" in sphinx["html_static_path"]


def test_third_party_assets_are_exact_versions_with_pinned_digests():
    web_assets = _load_tool("web_assets")
    for package in web_assets.PACKAGES:
        assert re.fullmatch(r"(@[\w-]+/)?[\w.-]+@\d+\.\d+\.\d+", package["spec"]), package
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package


def test_launch_buttons_follow_the_one_repository_setting():
    assert CONFIG["repository"]["url"].startswith("https://github.com/")
    assert CONFIG["launch_buttons"]["colab_url"] and CONFIG["launch_buttons"]["binderhub_url"]


@pytest.mark.parametrize("path", execute_notebooks.chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_starts_with_the_current_colab_cell(path):
    """The hidden first cell installs lib on Colab from _config.yml's repository.

    When this fails, ``make execute NB=<the notebook>`` brings the cell up to date.
    """
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "code"
    assert first.source == execute_notebooks.colab_cell_source()
    assert {"remove-cell", "colab"} <= set(first.metadata.get("tags", []))
    assert first.outputs == [], "off Colab the cell prints nothing"


def test_colab_cell_is_inserted_once_and_replaced(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from lib import setup_notebook")]
    execute_notebooks.with_colab_cell(nb)
    execute_notebooks.with_colab_cell(nb)
    assert [c.metadata.get("tags", []) for c in nb.cells] == [["remove-cell", "colab"], []]
    nb.cells[0].source = "# an old version of the cell"
    execute_notebooks.with_colab_cell(nb)
    assert nb.cells[0].source == execute_notebooks.colab_cell_source()
    nbformat.validate(nb)


def test_colab_cell_names_the_repository_it_could_not_clone(tmp_path, monkeypatch):
    """On Colab, a repository setting that does not clone stops the cell with its name,
    instead of a pip error about a missing folder."""
    missing = tmp_path / "no-such-repository"
    source = execute_notebooks.COLAB_CELL.format(url=missing, branch="main")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(RuntimeError, match=f"could not clone {missing} \\(branch main\\)"):
        exec(compile(source, "colab-cell", "exec"), {})


def test_offline_extension_drops_thebe_and_flags_outside_assets(monkeypatch):
    from types import SimpleNamespace

    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    offline = _load_tool("offline_site")
    warnings = []
    monkeypatch.setattr(offline.logger, "warning", lambda msg, *a, **k: warnings.append(msg % a))
    theme = {"launch_buttons": {"thebe": False}}
    app = SimpleNamespace(config=SimpleNamespace(html_theme_options=theme))
    scripts = [
        _JavaScript("a.js"),
        _JavaScript("a.js"),
        _JavaScript(None, body='const THEBE_JS_URL = "https://unpkg.com/thebe"'),
        _JavaScript("sphinx-thebe.js"),
        _JavaScript("https://cdn.example.org/x.js"),
    ]
    styles = [_CascadingStyleSheet("book.css"), _CascadingStyleSheet("//cdn.example.org/y.css")]
    context = {"script_files": scripts, "css_files": styles}
    offline.keep_page_offline(app, "page", "page.html", context, None)
    assert [s.filename for s in scripts] == ["a.js", "https://cdn.example.org/x.js"]
    assert len(warnings) == 2 and "cdn.example.org/x.js" in warnings[0]


# Colour maps that readers with a colour-vision deficiency can read: perceptually uniform
# sequential maps, grey, and diverging maps without a red-green axis.
SAFE_CMAPS = {
    "viridis", "cividis", "magma", "inferno", "plasma", "gray", "grey", "Greys", "binary",
    "Blues", "Oranges", "Purples", "RdBu", "PuOr", "BrBG", "coolwarm",
}  # fmt: skip
CMAP_NAME = re.compile(r"""(?:cmap|CMAP)\s*=\s*["']([A-Za-z_]+)["']""")


def test_colour_maps_are_colour_blind_safe():
    sources = {p: p.read_text() for p in (ROOT / "lib").rglob("*.py")}
    for path in execute_notebooks.chapter_notebooks():
        cells = nbformat.read(path, as_version=4).cells
        sources[path] = "\n".join(c.source for c in cells if c.cell_type == "code")
    unsafe = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, text in sources.items()
        for name in CMAP_NAME.findall(text)
        if name.removesuffix("_r") not in SAFE_CMAPS
    )
    assert unsafe == [], "colour maps that are hard to read for colour-blind readers"


# --- the browser ------------------------------------------------------------------------


def _chromium() -> str | None:
    """Debian's Chromium (or the one CONVBOOK_CHROMIUM names), or None."""
    named = os.environ.get("CONVBOOK_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(browser: bool = True) -> str | None:
    """Why the website's tests cannot run here, or None when they can."""
    if browser and _chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    if browser and importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (it is in requirements.txt: make book)"
    if not (SITE / "index.html").is_file():
        return "the website is not built (run make book first)"
    if not AXE.is_file():
        return "axe-core is missing from _build/vendor (run make book first)"
    stale = [
        str(source.relative_to(ROOT))
        for source in toc_sources()
        if not (SITE / source.relative_to(ROOT).with_suffix(".html")).is_file()
        or source.stat().st_mtime
        > (SITE / source.relative_to(ROOT).with_suffix(".html")).stat().st_mtime
    ]
    if stale:
        return f"the website is older than {', '.join(stale)} (run make book first)"
    return None


def _skip_or_fail(browser: bool = True):
    reason = _unavailable(browser)
    if reason is None:
        return
    message = f"browser tests of the website not run: {reason}"
    if REQUIRE_BROWSER:
        pytest.fail(message + " (CONVBOOK_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    _skip_or_fail()
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One page, loaded at one width, with what happened while it loaded."""

    def __init__(self, browser, site_url, path, viewport):
        self.path = path
        self.outside: list[str] = []
        self.console: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.page = self.context.new_page()
        self.page.route("**/*", self._route(site_url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.page.goto(site_url + path, wait_until="load")
        # MathJax typesets after it loads; its promise settles when the page is done.
        self.page.evaluate(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " ? MathJax.startup.promise.then(() => true) : null"
        )
        self.page.wait_for_load_state("networkidle")

    def _route(self, site_url):
        def route(route):
            url = route.request.url
            if url.startswith(site_url) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        return route

    def _console(self, message):
        if message.type == "error" or (
            message.type == "warning" and not KNOWN_WARNING.search(message.text)
        ):
            self.console.append(f"{message.type}: {message.text}")

    def screenshot(self, kind):
        """A full-page JPEG (quicker to encode than PNG for these tall pages)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = self.path.replace("/", "_").removesuffix(".html")
        out = ARTIFACTS / f"{name}-{kind}.jpg"
        # From the top, so that the sticky sidebars and header are drawn where a reader
        # first sees them.
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.wait_for_timeout(100)
        self.page.screenshot(path=str(out), full_page=True, type="jpeg", quality=80)
        return out

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, site_url):
    """Each page loaded once, at desktop width, and shared by the tests below."""
    loaded: dict[str, Visit] = {}

    def visit(path):
        if path not in loaded:
            loaded[path] = Visit(browser, site_url, path, DESKTOP)
        return loaded[path]

    yield visit
    for v in loaded.values():
        v.close()


@pytest.fixture(params=PAGES)
def page_path(request):
    return request.param


def test_page_loads_nothing_from_another_host(visits, page_path):
    v = visits(page_path)
    assert v.outside == [], f"requests to other hosts (blocked): {sorted(set(v.outside))}"
    assert v.failed == [], f"requests that failed: {v.failed}"


def test_page_has_no_console_error(visits, page_path):
    v = visits(page_path)
    assert v.console == []


def test_math_is_typeset(visits, page_path):
    v = visits(page_path)
    counts = v.page.evaluate(
        """() => ({
            math: document.querySelectorAll('.math').length,
            typeset: [...document.querySelectorAll('.math')]
                .filter(m => m.querySelector('mjx-container') || m.matches('mjx-container'))
                .length,
            errors: document.querySelectorAll('mjx-merror').length,
            mathjax: !!(window.MathJax && MathJax.version),
        })"""
    )
    if counts["math"]:
        assert counts["mathjax"], "MathJax did not load"
        assert counts["typeset"] == counts["math"], counts
        assert counts["errors"] == 0, counts
        font = v.page.evaluate(
            "() => getComputedStyle(document.querySelector('mjx-c') || document.body).fontFamily"
        )
        assert "MJXZERO" in font or "MJXTEX" in font or "MJX" in font, font


def test_images_have_alt_text_and_figures_captions(visits, page_path):
    v = visits(page_path)
    without_alt = v.page.evaluate(
        "() => [...document.querySelectorAll('article img')]"
        ".filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 80))"
    )
    assert without_alt == []
    # Sphinx falls back to the file name as alt text when a figure has none: not a text.
    file_names = v.page.evaluate(
        "() => [...document.querySelectorAll('article img')].map(i => i.getAttribute('alt'))"
        ".filter(a => /(^|\\/)[\\w.-]+\\.(png|jpe?g|svg|gif)$/i.test(a.trim()))"
    )
    assert file_names == [], "alt text that is only a file name"
    uncaptioned = v.page.evaluate(
        """() => [...document.querySelectorAll('article .cell_output img')]
            .filter(i => !i.closest('figure') || !i.closest('figure').querySelector(
                'figcaption .caption-text'))
            .map(i => (i.alt || i.src).slice(0, 80))"""
    )
    assert uncaptioned == [], "notebook figures without a caption"


def test_images_are_not_broken(visits, page_path):
    v = visits(page_path)
    broken = v.page.evaluate(
        "() => [...document.images].filter(i => i.complete && i.naturalWidth === 0"
        " && i.getAttribute('src')).map(i => i.src.slice(0, 80))"
    )
    assert broken == []


def test_animations_advance_when_played(visits, page_path):
    v = visits(page_path)
    count = v.page.locator(".animation").count()
    for index in range(count):
        animation = v.page.locator(".animation").nth(index)
        image = animation.locator("img").first
        before = image.get_attribute("src")
        animation.scroll_into_view_if_needed()
        animation.locator("button[title='Play']").click()
        deadline = time.monotonic() + 5
        while image.get_attribute("src") == before and time.monotonic() < deadline:
            v.page.wait_for_timeout(100)
        animation.locator("button[title='Pause']").click()
        assert image.get_attribute("src") != before, f"animation {index + 1} did not advance"
        assert (image.get_attribute("alt") or "").strip(), f"animation {index + 1} has no alt"


def test_no_widget_controls_without_a_kernel(visits, page_path):
    """A widget cell is removed from the page (its static twin is beside it)."""
    v = visits(page_path)
    views = v.page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    controls = v.page.locator(".jupyter-widgets, .widget-slider, .widget-interact").count()
    assert (views, controls) == (0, 0)


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache
def _parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_internal_links_resolve(page_path):
    _skip_or_fail(browser=False)
    base = f"http://site/{page_path}"
    broken = []
    for href in _parse(SITE / page_path).hrefs:
        url = urlsplit(urljoin(base, href))
        if url.scheme != "http" or url.netloc != "site":
            continue  # mailto:, and links out (launch buttons, credits) that load nothing
        target = SITE / unquote(url.path.lstrip("/"))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(href)
        elif url.fragment and target.suffix == ".html":
            if unquote(url.fragment) not in _parse(target).ids:
                broken.append(href)
    assert broken == []


def test_download_and_launch_buttons(page_path):
    _skip_or_fail(browser=False)
    html = (SITE / page_path).read_text(encoding="utf-8")
    if page_path.startswith("chapters/") and (ROOT / page_path).with_suffix(".ipynb").is_file():
        name = Path(page_path).with_suffix(".ipynb").name
        assert re.search(rf'href="[^"]*_sources/[^"]*{re.escape(name)}"', html), "download"
        # What a student downloads or opens is the student version: no solutions.
        colab = re.findall(r'href="(https://colab\.research\.google\.com/github/[^"]*)"', html)
        binder = re.findall(r'href="(https://mybinder\.org/v2/gh/[^"]*)"', html)
        assert colab and binder
        assert all(url.endswith(f"/chapters/student/{name}") for url in colab + binder)
        downloaded = (SITE / "_sources" / "chapters" / name).read_text(encoding="utf-8")
        assert downloaded == (ROOT / "chapters" / "student" / name).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in downloaded


def test_accessibility_audit(visits, page_path):
    v = visits(page_path)
    v.page.add_script_tag(path=str(AXE))
    result = v.page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(x => ({id: x.id, impact: x.impact, help: x.help,"
        " nodes: x.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    serious = [x for x in result if x["impact"] in ("serious", "critical")]
    assert serious == [], "\n".join(
        f"{x['id']} ({x['impact']}): {x['help']} {x['nodes']}" for x in serious
    )


def test_local_search_finds_a_chapter(browser, site_url):
    """The search page works from the site's own index, with no search service."""
    v = Visit(browser, site_url, "search.html?q=convolution", DESKTOP)
    try:
        v.page.wait_for_selector("#search-results li", timeout=10_000)
        found = v.page.locator("#search-results li a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert any("01_convolution" in href for href in found), found
        assert v.outside == [] and v.console == []
    finally:
        v.close()


def test_desktop_screenshot(visits, page_path):
    out = visits(page_path).screenshot("desktop")
    assert out.stat().st_size > 0


def test_printed_lines_fit_their_output_box(visits, page_path):
    """At the desktop width (1280 px) and at 1440 px, no printed output scrolls sideways in its box:
    the chapters print at most 88 characters a line, and book.css sizes the outputs' font
    so that 88 fit."""
    v = visits(page_path)
    too_wide = {}
    try:
        for width in sorted({DESKTOP["width"], 1440}):
            v.page.set_viewport_size({**DESKTOP, "width": width})
            v.page.wait_for_timeout(100)
            too_wide[width] = v.page.evaluate(
                """() => [...document.querySelectorAll('div.cell_output pre')]
                    .filter(p => p.scrollWidth > p.clientWidth + 1)
                    .map(p => p.textContent.split('\\n').find(l => l.length > 80) || '?')"""
            )
    finally:
        v.page.set_viewport_size(DESKTOP)
    assert all(lines == [] for lines in too_wide.values()), too_wide


def test_phone_width_has_no_sideways_scroll_and_screenshot(visits, page_path):
    v = visits(page_path)
    v.page.set_viewport_size(PHONE)  # the layout follows, as on a phone held upright
    try:
        v.page.wait_for_timeout(200)
        overflow = v.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        # Nothing a reader must press or read is pushed past the right edge of the screen.
        # Inline math too: MathJax 3 does not break a line inside a formula, so a long
        # one runs past the screen's edge, where the page cannot scroll to it.
        cut_off = v.page.evaluate(
            """() => [...document.querySelectorAll(
                    '.animation button, .animation img, mjx-container:not([display="true"])')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .map(e => e.getAttribute('title') || e.textContent.slice(0, 60) || e.tagName)"""
        )
        out = v.screenshot("phone")
    finally:
        v.page.set_viewport_size(DESKTOP)
    assert out.stat().st_size > 0
    assert overflow <= 1, f"the page is {overflow} px wider than a 390 px phone screen"
    assert cut_off == [], f"past the right edge of a phone screen: {cut_off}"
