"""The real third-party documents in shared/realworld (beside the repository, as in CI) and their references."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REALWORLD = ROOT.parent / "shared" / "realworld"
REFERENCES = ROOT / "tests" / "documents" / "references"


def real_files(prefix: str = "") -> list[Path]:
    """The real documents that have a reference text (none when shared/ is absent)."""
    if not REALWORLD.is_dir():
        return []
    return sorted(p for p in REALWORLD.iterdir() if p.name.startswith(prefix) and reference_path(p).exists())


def reference_path(path: Path) -> Path:
    return REFERENCES / f"{path.stem}.txt"


def reference(path: Path) -> str:
    return reference_path(path).read_text("utf-8")


needs_realworld = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"real documents not found at {REALWORLD}")
