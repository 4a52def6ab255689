"""Content-health report benchmark: the report (qa/health.py) over 36,000 articles, SQLite and PostgreSQL.

Builds the honest corpus from the real sample (bench.corpus), imports it into an empty SQLite
database (and, with --postgres, into that PostgreSQL database, recreated first), printing the
import's time, then times the whole report: every
category, computed as the admin page and ``manage.py content_report`` do, and the admin page itself.

    .venv/bin/python bench/bench_content_report.py [--files 36000] [--postgres URL] [--seeds DIR]

The budget is 5 s for the report on either database.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/bench_content_report.py`
    import common  # noqa: F401

from bench.common import CORPUS_SEEDS, ROOT, recreate_postgres
from bench.corpus import build_corpus

TIMING = r"""
import time
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from qa.health import content_report
from qa.models import Question
runs = []
for _ in range(3):
    started = time.perf_counter()
    report = content_report()
    runs.append(time.perf_counter() - started)
print(f"{Question.objects.count()} articles; report: best {min(runs):.2f} s, worst {max(runs):.2f} s of 3")
print("  " + ", ".join(f"{c.key} {c.count}" for c in report))
user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser("bench-admin", "b@example.com", "x")
client = Client()
client.force_login(user)
started = time.perf_counter()
status = client.get(reverse("admin:content_health"), {"category": "no_related_links", "page": 3}, HTTP_HOST="127.0.0.1").status_code
print(f"  admin page: {time.perf_counter() - started:.2f} s (status {status})")
"""


def run(label: str, database_url: str, seeds: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only", "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(seeds), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    print(f"{label}: import {time.perf_counter() - started:.1f} s ({result.stdout.strip()})", flush=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", TIMING], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"{label}: the timing failed:\n{out.stderr[-2000:]}")
    print("\n".join(f"{label}: {line}" for line in out.stdout.splitlines() if "objects imported" not in line and line),
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=36_000)
    parser.add_argument("--postgres", metavar="URL", help="also into this PostgreSQL database (recreated)")
    parser.add_argument("--seeds", type=Path, help="an existing corpus built by bench.corpus (skips building it)")
    parser.add_argument("--sqlite", type=Path, help="the SQLite database file to use (recreated; default: a temporary one)")
    args = parser.parse_args()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS_SEEDS}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = args.seeds
        if seeds is None:
            seeds = tmp / "seeds"
            build_corpus(seeds, args.files)
        print(f"{sum(1 for _ in seeds.rglob('*.md'))} files on {os.cpu_count()} cores", flush=True)
        sqlite = args.sqlite or tmp / "bench.sqlite3"
        sqlite.unlink(missing_ok=True)
        run("SQLite", f"sqlite:///{sqlite.resolve()}", seeds)
        if args.postgres:
            recreate_postgres(args.postgres)
            run("PostgreSQL", args.postgres, seeds)


if __name__ == "__main__":
    main()
