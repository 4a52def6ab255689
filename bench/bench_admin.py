"""Admin list benchmark: server time of the question list at 36,000 articles, with filters and search.

Builds (once, then reuses) a database of 36,000 articles by copying the real sample under new
slugs and importing it with import_seeds, then requests list pages through Django's test client
in this process, so the figures are server time (view, queries, template), no network.

    .venv/bin/python bench/bench_admin.py [--files 36000] [--db bench/out/admin36k.sqlite3] [--rebuild]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qt_admin_bench .venv/bin/python bench/bench_admin.py

Each page is timed "cold" (the cached count forgotten, as on the first visit of a list) and
"warm" (paging on through the same list). The budget is 300 ms per page.
"""
import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/bench_admin.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import ROOT

BUDGET_MS = 300
RUNS = 5
PAGES = [
    ("list, page 1", ""),
    ("list, page 2", "?p=2"),
    ("list, page 200 (deep)", "?p=200"),
    ("sorted by last change", "?o=-5"),
    ("filter: subject", "?subject__id__exact={subject}"),
    ("filter: status draft", "?status__exact=draft"),
    ("filter: no_index", "?no_index__exact=1"),
    ("filter: date this year", "?date__gte={year_start}&date__lt={next_year}"),
    ("filter: subject + published", "?subject__id__exact={subject}&status__exact=published"),
    ("search: one word", "?q=photosynthesis"),
    ("search: two words", "?q=energy+transport"),
    ("search + subject filter", "?q=cell&subject__id__exact={subject}"),
    ("search, page 3", "?q=the&p=3"),
]


def build_database(env, files: int) -> None:
    from bench.corpus import build_corpus

    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        count = build_corpus(seeds, files)
        print(f"importing {count} seed files …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "import_seeds", str(seeds), "--quiet"], cwd=ROOT, env=env, check=True
        )
        print(f"imported in {time.perf_counter() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=36_000)
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "admin36k.sqlite3"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    # Production-like settings (DEBUG off), with a throwaway key and plain static files.
    env = {**os.environ, "PLAIN_STATIC": "1", "DEBUG": "0"}
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.pop("REDIS_URL", None)
    if "DATABASE_URL" not in env:
        db = Path(args.db)
        if args.rebuild and db.exists():
            db.unlink()
        db.parent.mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "quicktakes.settings"

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.utils import timezone

    from qa.models import Question, Subject

    have = Question.objects.count()
    if have < args.files:
        build_database(env, args.files)
        have = Question.objects.count()
    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", "bench"
    )
    client = Client()
    client.force_login(user)
    biggest = Subject.objects.order_by().annotate(n=Count("questions")).order_by("-n").first()
    year = timezone.localdate().year
    params = {"subject": biggest.pk, "year_start": f"{year}-01-01", "next_year": f"{year + 1}-01-01"}

    print(f"{have} articles, {Subject.objects.count()} subjects, {connection.vendor}; {os.cpu_count()} cores")
    print(f"{'page':34} {'cold ms':>8} {'warm ms':>8} {'max ms':>8} {'queries':>8}  rows")
    worst = 0.0
    for name, query in PAGES:
        url = "/admin/qa/question/" + query.format(**params)
        client.get(url)  # warm the Python side: templates, URL resolver
        cold, warm = [], []
        for _ in range(RUNS):
            cache.clear()
            queries = []
            started = time.perf_counter()
            # Counted with an execute wrapper: each request resets connection.queries.
            with connection.execute_wrapper(lambda execute, *a, log=queries: log.append(a[0]) or execute(*a)):
                response = client.get(url)
            cold.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        html = response.content.decode()
        rows = html.count('name="_selected_action"')
        paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S)
        total = re.search(r"(\d+) questions?\b", re.sub(r"<[^>]+>", " ", paginator[1])) if paginator else None
        worst = max(worst, max(cold))
        print(
            f"{name:34} {statistics.median(cold):8.0f} {statistics.median(warm):8.0f} {max(cold):8.0f}"
            f" {len(queries):8d}  {rows} of {total[1] if total else '?'}"
        )
    print(f"slowest cold page: {worst:.0f} ms (budget {BUDGET_MS} ms) — {'OK' if worst < BUDGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
