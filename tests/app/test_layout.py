"""The floor plan holds: arrows go one way, no cycles, no late imports to dodge one, settings declared once.

Layers, in data-flow order: ``nianbao`` (the application) → ``crawler`` (the Scrapy project) → ``pipelines``
(stages and their text library) → ``storage``. A module may import its own layer and any layer to its right.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

from tests.support import ROOT

LAYERS = ["nianbao", "crawler", "pipelines", "storage"]
MAX_LINES = 400
LONG_MODULE = "# Long module:"  # the reason a module may stay over MAX_LINES, within its first lines
# Only the command line imports its commands' modules late, so `nianbao --help` needs no Scrapy or SQLAlchemy.
LATE_IMPORTS_ALLOWED = ("nianbao/cli/",)


def _modules() -> Iterator[tuple[str, Path]]:
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


MODULES = dict(_modules())


def _target(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    """Project modules an import statement names (``from a import b`` is ``a.b`` when that is a module)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    return [n for n in names if n.split(".")[0] in LAYERS]


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@functools.cache  # three tests ask; the answer is read, never changed
def _imports(late: bool) -> dict[str, set[str]]:
    """Module → project modules it imports at module level (``late=False``) or inside functions (``late=True``)."""
    out: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = _tree(path)
        typing_only = {id(n) for s in tree.body if isinstance(s, ast.If) and "TYPE_CHECKING" in ast.unparse(s.test)
                       for n in ast.walk(s)}  # imports for annotations only: no runtime arrow
        top = {id(n) for n in tree.body} | {id(n) for s in tree.body if isinstance(s, ast.If | ast.Try)
                                            for n in ast.walk(s)}
        found = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import | ast.ImportFrom) and (id(node) not in top) == late:
                found.update(_target(node, module, path))
        out[module] = found
    return out


def test_arrows_go_one_way() -> None:
    back = [f"{m} → {t}" for m, targets in _imports(late=False).items() for t in targets
            if LAYERS.index(t.split(".")[0]) < LAYERS.index(m.split(".")[0])]
    assert not back, "imports against the data flow:\n" + "\n".join(sorted(back))


def test_no_import_cycles() -> None:
    graph = _imports(late=False)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_no_late_imports_of_our_own_modules() -> None:
    late = [f"{m} → {t}" for m, targets in _imports(late=True).items() for t in targets
            if not any(str(MODULES[m].relative_to(ROOT)).startswith(p) for p in LATE_IMPORTS_ALLOWED)]
    assert not late, "function-level imports of project modules (a cycle dodged?):\n" + "\n".join(sorted(late))


def test_long_modules_say_why() -> None:
    long = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES and not any(line.startswith(LONG_MODULE) for line in lines[:20]):
            long.append(f"{module}: {len(lines)} lines")
    assert not long, f"modules over {MAX_LINES} lines without a '{LONG_MODULE} …' reason:\n" + "\n".join(long)


def _declared_settings() -> set[str]:
    tree = ast.parse((ROOT / "crawler" / "settings.py").read_text(encoding="utf-8"))
    return {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def test_every_nianbao_setting_is_declared_once_in_crawler_settings() -> None:
    declared = _declared_settings()
    used: dict[str, set[str]] = {}
    env_reads, call_site_defaults = [], []
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        for name in re.findall(r"\b(NIANBAO_[A-Z0-9_]+)\b", source):
            used.setdefault(name, set()).add(module)
        if module != "crawler.settings":
            env_reads += [f"{module}: {m}" for m in
                          re.findall(r"environ(?:\.get)?\s*[\[(]\s*[\"'](NIANBAO_\w+)", source)]
            call_site_defaults += [f"{module}: {m}" for m in
                                   re.findall(r"settings\.get\w*\(\s*[\"'](NIANBAO_\w+)[\"']\s*,", source)]
    env_only = {"NIANBAO_FILES"}  # the environment name of NIANBAO_FILES_DIR, read in crawler/settings.py only
    undeclared = {name: sorted(mods) for name, mods in used.items() if name not in declared | env_only}
    assert not undeclared, f"NIANBAO_* settings used but not declared in crawler/settings.py: {undeclared}"
    assert not env_reads, f"NIANBAO_* environment read outside crawler/settings.py: {env_reads}"
    assert not call_site_defaults, f"defaults repeated at call sites (declare them in settings): {call_site_defaults}"


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in ``tests/support``; a test module (or conftest) is never imported by another."""
    bad = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and not module.startswith("tests.support"):
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not bad, "\n".join(bad)
