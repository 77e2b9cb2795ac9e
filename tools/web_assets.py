"""Fetch the website's third-party JavaScript from the npm registry, pinned and checked.

The book's pages must load nothing from another host (classrooms with poor or no internet),
so what Jupyter Book would take from a CDN is served from the site itself:

- MathJax 3 (the math on every page),
- RequireJS and the Jupyter widgets HTML manager (pages that store widget state),
- axe-core, which the browser tests inject to audit accessibility (not part of the site).

Each package is an exact version with the registry's sha512 integrity pinned below; a
tarball whose digest differs is refused. ``npm pack`` downloads it (npm's own cache keeps
it for the next time), and the files the site needs are unpacked into ``_build/vendor``
(git-ignored; ``make book`` runs this first and ``_config.yml`` serves
``_build/vendor/site`` as a static folder). Nothing third-party is committed.

Usage::

    python tools/web_assets.py          # fetch what is missing or out of date
    python tools/web_assets.py --check  # exit 1 unless everything is in place
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_build" / "vendor"
SITE = VENDOR / "site"  # copied into _build/html/_static by Sphinx (html_static_path)
TEST = VENDOR / "test"  # used by tests/test_website.py only
STAMP = VENDOR / "complete.json"

# name@version, the registry's dist.integrity, and which files go where: (a file, a folder
# ending in "/" or a glob inside the tarball, and the destination folder).
PACKAGES = [
    {
        "spec": "mathjax@3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",  # noqa: E501
        # tex-chtml.js and what it loads on demand: TeX extensions, the menu, the
        # accessibility components and the speech rules, and the CommonHTML fonts.
        "files": [
            ("package/LICENSE", SITE / "mathjax"),
            ("package/es5/tex-chtml.js", SITE / "mathjax"),
            ("package/es5/input/", SITE / "mathjax" / "input"),
            ("package/es5/output/chtml/", SITE / "mathjax" / "output" / "chtml"),
            ("package/es5/a11y/", SITE / "mathjax" / "a11y"),
            ("package/es5/ui/", SITE / "mathjax" / "ui"),
            ("package/es5/sre/", SITE / "mathjax" / "sre"),
            ("package/es5/adaptors/", SITE / "mathjax" / "adaptors"),
        ],
    },
    {
        "spec": "requirejs@2.3.8",
        "integrity": "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",  # noqa: E501
        "files": [("package/require.js", SITE / "widgets")],
    },
    {
        # html-manager 1.x is the embedding manager of ipywidgets 8.
        "spec": "@jupyter-widgets/html-manager@1.0.15",
        "integrity": "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",  # noqa: E501
        "files": [
            ("package/LICENSE", SITE / "widgets"),
            ("package/dist/embed-amd.js", SITE / "widgets"),
            ("package/dist/libembed-amd.js", SITE / "widgets"),
        ]
        # the fonts and icons its style sheets refer to, beside it
        + [
            (f"package/dist/{name}", SITE / "widgets")
            for name in ("*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg")
        ],
    },
    {
        "spec": "axe-core@4.14.1",
        "integrity": "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",  # noqa: E501
        "files": [("package/axe.min.js", TEST), ("package/LICENSE", TEST)],
    },
]


def pins() -> dict[str, str]:
    """The pinned specs and their integrity, as recorded in the stamp."""
    return {package["spec"]: package["integrity"] for package in PACKAGES}


def up_to_date() -> bool:
    """True when the vendor folder holds exactly the pinned packages."""
    try:
        return json.loads(STAMP.read_text()) == pins()
    except (OSError, ValueError):
        return False


def integrity_of(path: Path) -> str:
    """npm's integrity string (sha512, base64) of a file."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def npm_pack(spec: str, folder: Path) -> Path:
    """Download one package tarball with ``npm pack`` into ``folder``."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "web assets: npm is needed to fetch MathJax and the widget manager from the npm "
            "registry; install it (Debian: apt-get install npm) and run make book again"
        )
    result = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(folder), "--silent", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"web assets: npm pack {spec} failed:\n{result.stderr.strip()}")
    name = json.loads(result.stdout)[0]["filename"]
    return folder / name.replace("@", "").replace("/", "-")


def _matches(member: str, pattern: str) -> bool:
    if pattern.endswith("/"):
        return member.startswith(pattern)
    if "*" in pattern:
        return Path(member).match(pattern) and member.count("/") == pattern.count("/")
    return member == pattern


def unpack(tarball: Path, files: list[tuple[str, Path]]) -> int:
    """Copy the selected members of ``tarball`` to their destinations; return how many."""
    count = 0
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            for pattern, destination in files:
                if not _matches(member.name, pattern):
                    continue
                relative = (
                    member.name[len(pattern) :] if pattern.endswith("/") else Path(member.name).name
                )
                target = destination / relative
                if ".." in Path(relative).parts:
                    raise SystemExit(f"web assets: unsafe path in {tarball.name}: {member.name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                count += 1
                break
    return count


def fetch() -> None:
    """Fetch, check and unpack every pinned package into a fresh vendor folder."""
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            tarball = npm_pack(package["spec"], Path(tmp))
            found = integrity_of(tarball)
            if found != package["integrity"]:
                raise SystemExit(
                    f"web assets: {package['spec']} does not match its pinned integrity\n"
                    f"  pinned {package['integrity']}\n  got    {found}"
                )
            count = unpack(tarball, package["files"])
            print(f"web assets: {package['spec']}: {count} files (sha512 checked)")
    STAMP.write_text(json.dumps(pins(), indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether they are there")
    args = parser.parse_args(argv)
    if up_to_date():
        if not args.check:
            STAMP.touch()  # newer than this script again: make does not ask twice
        return 0
    if args.check:
        print("web assets: missing or out of date; run: python tools/web_assets.py")
        return 1
    fetch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
