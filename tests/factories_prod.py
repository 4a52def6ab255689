"""Builders and helpers for the production tests (caching, security, outages, settings)."""
import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from qa.models import SEO, Answer, Question, Subject

ARTICLE = "/learn/biology/questions/how-do-cells-divide"


def make_article(subject="biology", slug="how-do-cells-divide", body="Cells divide by **mitosis**.", **fields):
    """A published article with its answer and SEO row, saved through the ORM (signals fire)."""
    subject, _ = Subject.objects.get_or_create(slug=subject, defaults={"title": subject.title()})
    fields.setdefault("status", Question.Status.PUBLISHED)
    question = Question.objects.create(
        subject=subject, slug=slug, title=f"Q {slug}", question=f"Question {slug}?", date=dt.date(2025, 1, 24), **fields
    )
    Answer.objects.create(question=question, body=body)
    SEO.objects.create(question=question, title=f"SEO {slug}")
    return question


ROOT = Path(__file__).resolve().parent.parent
# Variables the test process sets or may inherit that would blur what production sees.
PRODUCTION_CLEAN = (
    "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "SITE_URL", "HTTPS", "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # browser tests set it; check --deploy rightly refuses it
)


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    """Run Python with the real settings (not the test settings) and the given environment."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_CLEAN}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "quicktakes.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides):
    return {
        "DEBUG": "0",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "quicktakes.example",
        "SITE_URL": "https://quicktakes.example",
        **overrides,
    }


def read_settings(*names, **env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run_django(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
