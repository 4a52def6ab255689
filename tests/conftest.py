"""Shared test fixtures."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = ROOT / "fixtures"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir():
    """The real sample in ../shared/corpus; tests using it skip when it is absent."""
    if not (CORPUS_DIR / "learn").is_dir():
        pytest.skip(f"real corpus not found at {CORPUS_DIR} (it lives in ../shared beside the clone)")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Every test starts with an empty cache and no remembered content version (qa.caching)."""
    from django.core.cache import cache

    from qa import caching

    cache.clear()
    caching.forget_version()

