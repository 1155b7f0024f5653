"""Helpers shared by the tests: test servers, sample archives, corpora, metrics."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "extraction_corpus"
DEMO_SEEDS = ROOT / "nianbao" / "demo" / "seeds"
