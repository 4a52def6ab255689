"""What every benchmark shares: the repository's paths and programs, ports, servers, PostgreSQL.

Imported as ``bench.common``. A benchmark run as ``python bench/NAME.py`` has bench/ rather
than the repository on sys.path; it imports this module by its bare name first (``import
common``), which puts the repository there, so ``bench.*`` and ``qa`` import as usual.
"""
import socket
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus"  # the real sample: subjects.yaml, legacy-redirects.csv, learn/
CORPUS_SEEDS = CORPUS / "learn"  # its seed files, one folder per subject
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    """Return once ``url`` answers 200; raise RuntimeError if it has not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {seconds} s")
        time.sleep(0.2)


def recreate_postgres(url: str) -> None:
    """Drop the PostgreSQL database ``url`` names (whoever is connected) and create it empty."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    """Configure Django in this process (the settings' defaults: the environment's DATABASE_URL)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quicktakes.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    django.setup()
