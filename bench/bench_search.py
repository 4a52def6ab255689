"""Search benchmark: ~200 realistic reader queries over 36,000 articles, on SQLite and on PostgreSQL.

Builds (or reuses) each database by importing copies of the real sample
(../shared/corpus/learn) under new slugs; the triggers fill the index as the
importer writes. Each query is timed as the search page runs it: the ranked
query, the result count and the first page of 20 with their snippets.

    .venv/bin/python bench/bench_search.py [--articles 36000] [--workdir DIR]
        [--postgres postgres://postgres@127.0.0.1:5432/qt_search] [--backends sqlite,postgresql]
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/bench_search.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS_SEEDS, ROOT, setup_django
from bench.corpus import build_corpus

QUERIES = 200


def count_questions(env) -> int:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from qa.models import Question; print(Question.objects.count())"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0


def prepare(env, articles: int, seeds: Path) -> None:
    """Migrate and import until the database holds ``articles`` questions."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    have = count_questions(env)
    if have >= articles:
        print(f"  reusing the database: {have} articles")
        return
    if not seeds.is_dir():
        build_corpus(seeds, articles)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "import_seeds", str(seeds), "--quiet"], cwd=ROOT, env=env, check=True)
    seconds = time.perf_counter() - started
    print(f"  imported {count_questions(env)} articles in {seconds:.0f} s (the triggers filled the index)")
    if env["DATABASE_URL"].startswith("postgres"):
        # Autovacuum analyses the new rows within minutes; the benchmark does not wait for it.
        analyse = "from django.db import connection; connection.cursor().execute('ANALYZE')"
        subprocess.run([sys.executable, "manage.py", "shell", "-c", analyse], cwd=ROOT, env=env, check=True)


def realistic_queries(count=QUERIES, seed=5) -> list[str]:
    """Parts of real questions, single words and keyword pairs, drawn from the sample."""
    from qa.imports.seedfile import parse_seed
    from qa.search.query import STOPWORDS

    seeds = [parse_seed(p.read_bytes()) for p in sorted(CORPUS_SEEDS.glob("*/*.md"))]
    rng = random.Random(seed)
    queries = []
    for _ in range(count // 2):  # a student typing part of a question
        words = rng.choice(seeds).question.rstrip("?").split()
        length = rng.randint(3, min(7, len(words)))
        start = rng.randint(0, len(words) - length)
        queries.append(" ".join(words[start : start + length]))
    for _ in range(count // 4):  # one word
        words = [w for w in re.findall(r"[a-z]{5,}", rng.choice(seeds).question.lower()) if w not in STOPWORDS]
        queries.append(rng.choice(words or ["energy"]))
    while len(queries) < count:  # two or three keywords
        keywords = [k.strip() for k in rng.choice(seeds).seo_keywords.split(",") if k.strip()]
        if keywords:
            queries.append(" ".join(rng.sample(keywords, min(len(keywords), rng.randint(2, 3)))))
    return queries


def measure() -> None:
    """Runs in a child process whose DATABASE_URL selects the backend."""
    setup_django()
    from django.core.paginator import Paginator
    from django.db import connection

    from qa.search.results import search_questions

    def run(query):
        results = search_questions(query)
        page = Paginator(results, 20).page(1) if results.query.terms else None
        hits = list(page.object_list) if page else []
        found = page.paginator.count if page else 0
        started = time.perf_counter()
        for question in hits:
            results.highlight(question.question)
            results.snippet(question)
        return found, time.perf_counter() - started

    queries = realistic_queries()
    for query in queries[:20]:  # warm the caches as a running site would have them
        run(query)
    database, total, snippets, cpu, empty = [], [], [], [], 0
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        found, snippet_time = run(query)
        elapsed = time.perf_counter() - started
        cpu.append((time.process_time() - started_cpu) * 1000)
        total.append(elapsed * 1000)
        snippets.append(snippet_time * 1000)
        database.append((elapsed - snippet_time) * 1000)
        empty += not found

    def line(name, values):
        values = sorted(values)
        p95 = values[max(0, round(0.95 * len(values)) - 1)]
        return f"  {name:<35} median {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   max {values[-1]:6.1f} ms"

    print(f"  {connection.vendor}: {len(queries)} queries, {empty} found nothing")
    print(line("search (ranked query, count, page)", database))
    print(line("snippets for the page", snippets))
    print(line("total per query", total))
    # Other processes share the CPU: this process's own CPU time is steadier than the clock
    # (for SQLite it includes the database's work; for PostgreSQL only the client's).
    print(line("this process's CPU time per query", cpu))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=36_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "qt_search_bench")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/qt_search")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS_SEEDS}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    seeds = args.workdir / f"seeds-{args.articles}"
    urls = {"sqlite": f"sqlite:///{args.workdir / f'search-{args.articles}.sqlite3'}", "postgresql": args.postgres}
    backends = [(name, urls[name]) for name in args.backends.split(",")]
    print(f"{args.articles} articles, {QUERIES} queries, {os.cpu_count()} cores")
    for name, url in backends:
        print(f"{name}:")
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(DATABASE_URL=url, SECRET_KEY="bench-only", PYTHONWARNINGS="ignore")
        prepare(env, args.articles, seeds)
        subprocess.run([sys.executable, __file__, "--measure"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
