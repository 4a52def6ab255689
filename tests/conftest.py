"""Shared test fixtures."""
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.processes import ROOT, child_env, manage_args

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
    """Every test starts with an empty cache and no remembered changes (qa.serving.changes)."""
    from django.core.cache import cache

    from qa.serving import changes

    cache.clear()
    changes.forget()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    subprocess.run(manage_args("migrate", "-v0"), env=child_env(path), cwd=ROOT, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file the copies take
    return path


@pytest.fixture
def new_sqlite_db(migrated_sqlite_template, tmp_path):
    """Make a fresh, migrated SQLite file: ``new_sqlite_db("name")`` returns its path."""

    def make(name):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(migrated_sqlite_template, path)
        return path

    return make


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
        )
        yield browser
        browser.close()
