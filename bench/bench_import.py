"""Import benchmark: 36,000 seed files into an empty SQLite database, then a re-run with nothing changed.

Builds the corpus from the real sample (../shared/corpus/learn) with bench.corpus: every copy
under new slugs, its prose and math varied, so KaTeX's formula cache is not flattered.

    .venv/bin/python bench/bench_import.py [--files 36000] [--postgres URL]

Three runs: into an empty database, again with nothing changed, and with every file
changed (one front-matter line). With --postgres, the same runs also go into that PostgreSQL database, which is
dropped and created empty first (for example postgres://postgres@127.0.0.1:5432/qt_bench_import).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/bench_import.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS_SEEDS, ROOT, recreate_postgres
from bench.corpus import build_corpus, formula_census


def timed_import(env, seeds: Path) -> str:
    started, cpu = time.perf_counter(), os.times()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(seeds), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    wall, after = time.perf_counter() - started, os.times()
    used = (after.children_user - cpu.children_user) + (after.children_system - cpu.children_system)
    return f"{wall:5.1f} s wall, {used:5.1f} s CPU  ({result.stdout.strip()})"


def bench(label: str, database_url: str, seeds: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"{label}, first import: {timed_import(env, seeds)}", flush=True)
    print(f"{label}, re-run, nothing changed: {timed_import(env, seeds)}", flush=True)
    changed = touch_every_file(seeds)
    print(f"{label}, every file changed: {timed_import(env, changed)}", flush=True)


def touch_every_file(seeds: Path) -> Path:
    """A copy of the corpus with one front-matter line changed in every file (a site-wide re-export)."""
    changed = seeds.with_name("seeds-changed")
    if not changed.exists():
        for source in seeds.rglob("*.md"):
            out = changed / source.relative_to(seeds)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text("utf-8")
            out.write_text(re.sub(r"^author: .*$", "author: QuickTakes Team", text, count=1, flags=re.M), "utf-8")
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=36_000)
    parser.add_argument("--postgres", metavar="URL", help="also import into this PostgreSQL database (recreated)")
    args = parser.parse_args()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS_SEEDS}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = tmp / "seeds"
        count = build_corpus(seeds, args.files)
        formulas, distinct = formula_census(seeds)
        print(f"{count} files ({formulas} formulas, {distinct} distinct; the real site: 33,029 and 11,863) "
              f"on {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}", flush=True)
        bench("SQLite (empty)", f"sqlite:///{tmp / 'bench.sqlite3'}", seeds)
        if args.postgres:
            recreate_postgres(args.postgres)
            bench("PostgreSQL (empty)", args.postgres, seeds)


if __name__ == "__main__":
    main()
