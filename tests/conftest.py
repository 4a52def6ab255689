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
    """Every test starts with an empty cache and no remembered content version (qa.serving.page_cache)."""
    from django.core.cache import cache

    from qa.serving import page_cache

    cache.clear()
    page_cache.forget_version()



CHROMIUM = Path("/usr/bin/chromium")
requires_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium is not installed at {CHROMIUM}")


@pytest.fixture
def fixture_site(transactional_db, live_server, monkeypatch):
    """The sample articles of fixtures/ served by a live server, for browser tests; returns its URL."""
    from io import StringIO

    from django.core.cache import cache
    from django.core.management import call_command

    # Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to work.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    call_command(
        "import_seeds", str(FIXTURES_DIR), "--subjects", str(FIXTURES_DIR / "subjects.yaml"), "--quiet",
        stdout=StringIO(),
    )
    cache.clear()
    return live_server.url


@pytest.fixture
def browser():
    """Debian's Chromium under Playwright, launched without network chatter."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        yield browser
        browser.close()
