"""Package hygiene: public names re-exported completely, code ruff-clean, migrations at one head."""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess

import pytest
from alembic.script import ScriptDirectory

from tests.support import ROOT

PUBLIC_PACKAGES = ["storage", "nianbao.demo", "crawler.lists"]


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_is_complete(name: str) -> None:
    """Every public class, function and constant the package exposes is listed in ``__all__``."""
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported)
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)
              and n != "annotations" and (getattr(v, "__module__", None) or name).startswith(name)}
    assert public <= exported


def test_single_migration_head() -> None:
    heads = ScriptDirectory(str(ROOT / "storage" / "migrations")).get_heads()
    assert len(heads) == 1


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed by the test extras")
def test_ruff_clean() -> None:
    result = subprocess.run(["ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
