"""The README and docs/ stay true to the tree: short README, its two set-up commands, links and paths that resolve.

Docs rot silently when code moves; these checks turn a moved module or a renamed heading into a failing test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import crawler.settings
from tests.support import ROOT

README = ROOT / "README.md"
SETUP_COMMANDS = ["pip install -e . && nianbao demo", 'pip install -e ".[test]" && pytest']
DOCS = [README, ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Verbatim copies of outside material: their links are checked, their prose is not ours to keep in step.
REFERENCE = ROOT / "docs" / "reference"

_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CODE_PATH = re.compile(r"`((?:crawler|pipelines|storage|nianbao|tests|benchmarks|docs)/[^`\s<>{}*…]*)`")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)


def _prose(path: Path) -> str:
    """The file without its fenced code blocks (shell comments there are not links)."""
    return _FENCE.sub("", path.read_text(encoding="utf-8"))


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in _HEADING.findall(_prose(path))}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_readme_is_short() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_has_exactly_the_two_setup_commands() -> None:
    lines = [line.strip() for line in README.read_text(encoding="utf-8").splitlines() if "pip install" in line]
    assert lines == SETUP_COMMANDS


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(_prose(doc)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: …: not ours to check offline
            continue
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        missing = not dest.exists() or ROOT not in dest.parents
        if missing or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert not broken, f"{_name(doc)}: links that resolve to nothing: {broken}"


def _is_stat_name(quoted: str) -> bool:
    """``nianbao/statistics/read`` is a Scrapy stat the docs name, not a path (no suffix, no such package)."""
    parts = quoted.split("/")
    return parts[0] == "nianbao" and "." not in quoted and not (ROOT / "nianbao" / parts[1]).exists()


@pytest.mark.parametrize("doc", [d for d in DOCS if REFERENCE not in d.parents], ids=_name)
def test_quoted_code_paths_exist(doc: Path) -> None:
    missing = sorted({p for p in _CODE_PATH.findall(doc.read_text(encoding="utf-8"))
                      if not (ROOT / p).exists() and not _is_stat_name(p)})
    assert not missing, f"{_name(doc)} names paths that are not in the tree: {missing}"


def test_readme_configuration_names_every_setting() -> None:
    settings = {name for name in vars(crawler.settings) if name.startswith("NIANBAO_")}
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in settings if f"`{name}`" not in section)
    assert not missing, f"settings in crawler/settings.py missing from the README's configuration table: {missing}"
