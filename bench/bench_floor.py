"""Uncached article page against a minimal Django view, side by side in one run (issue 14).

Builds a site-sized database (bench/corpus.py: 36,000 seed files made from the real sample) on
SQLite and on PostgreSQL, starts gunicorn with the repository's gunicorn.conf.py, the page cache
off (PAGE_CACHE=0) and a URL conf that adds the minimal view, defined here: one query and a 12 KB
template, behind the same middleware. Then, at each connection count, wrk loads the minimal view
and the article page in turn, for a few rounds (ABBA order), since this shared machine's speed
drifts by a third within minutes. Prints a markdown table (the median of the rounds' req/s, p50
and p99, the range of req/s, the article's share of the minimal view's rate) and the CPU each
costs per request in-process, and replaces its section in bench/RESULTS.md.

    .venv/bin/python bench/bench_floor.py [--articles 36000] [--duration 10] [--rounds 3]
        [--connections 16,64] [--databases sqlite,postgresql] [--output bench/RESULTS.md]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as `python bench/bench_floor.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS_SEEDS, PYTHON, ROOT, free_port
from bench.corpus import build_corpus
from bench.wrk_compare import Bench, fetch, parse_wrk, stop

MINIMAL_PATH = "/bench/minimal"
SECTION = "## Uncached article against a minimal view"
TARGETS = (
    "Targets (issue 14): uncached, the article reaches at least 0.9 × the minimal view's requests/s at 16 "
    "connections on SQLite and on PostgreSQL, with p99 at most 30 ms."
)

# The minimal view: one query and a 12 KB template, behind the project's whole middleware.
MINIMAL_MODULE = '''
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from qa.models import Question

PARAGRAPH = "<p>{{ question }} " + "Plain words of a study answer, set as one paragraph of text. " * 6 + "</p>\\n"
TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ question }}</title></head><body>"
    "<h1>{{ question }}</h1>" + PARAGRAPH * 30 + "<a href=/learn/{{ slug }}>more</a></body></html>"
)


def minimal(request):
    question, slug = Question.objects.values_list("question", "slug").get(pk=PK)
    return HttpResponse(TEMPLATE.render({"question": question, "slug": slug}))


urlpatterns = [path("bench/minimal", minimal), path("", include("quicktakes.urls"))]
'''

SETTINGS_MODULE = 'from quicktakes.settings import *  # noqa\nROOT_URLCONF = "bench_minimal_urls"\n'

CPU_CODE = """
import time
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import FakePayload
handler = WSGIHandler()
def call(path):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": FakePayload(b"")}
    status = []
    body = b"".join(handler(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("200"), status
    return len(body)
for path in PATHS:
    for _ in range(30):
        size = call(path)
    started = time.process_time()
    for _ in range(500):
        call(path)
    print(path, size, (time.process_time() - started) / 500 * 1000)
"""


@dataclass
class Row:
    """One view at one connection count: the median of the rounds, the range of their rates."""

    database: str
    view: str
    connections: int
    rps: float
    p50: float
    p99: float
    errors: int
    rps_low: float
    rps_high: float

    @classmethod
    def of_rounds(cls, database, view, connections, runs: list[tuple]) -> "Row":
        rates = [run[0] for run in runs]
        return cls(database, view, connections, statistics.median(rates), statistics.median(run[1] for run in runs),
                   statistics.median(run[2] for run in runs), sum(run[3] for run in runs), min(rates), max(rates))


def pick_article(env) -> tuple[str, int]:
    """A published article with five related cards whose page is near 12 KB, and any article's id."""
    code = (
        "from django.db.models import Count; from django.db.models.functions import Length; from qa.models import Question; "
        "qs = Question.objects.published().select_related('subject').annotate(n=Length('answer__html'), links=Count('related_links'))"
        ".filter(links=5, n__gt=4000, n__lt=9000).order_by('n'); q = qs[qs.count() // 2]; print(q.get_absolute_url(), q.pk)"
    )
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[-2], int(out[-1])


def wrk(url: str, connections: int, duration: int) -> tuple[tuple, str]:
    threads = min(connections, 2)
    subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "2s", url], capture_output=True)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", url]
    return parse_wrk(subprocess.run(argv, capture_output=True, text=True, check=True).stdout), " ".join(argv)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=36_000, help="seed files in the corpus (bench/corpus.py)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each view at each connection count")
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[16, 64])
    parser.add_argument("--databases", type=lambda s: s.split(","), default=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qt_bench_floor")
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"no real sample at {CORPUS_SEEDS}: the corpus is made from it")

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    rows: list[Row] = []
    cpu: list[tuple[str, str, int, float]] = []
    commands: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qt-floor-") as tmp:
        tmp = Path(tmp)
        seeds = tmp / "seeds"
        print(f"corpus: {args.articles:,} seed files", flush=True)
        build_corpus(seeds, args.articles)
        args.seeds, args.subjects = seeds, CORPUS_SEEDS.parent / "subjects.yaml"
        bench = Bench(args, tmp)
        bench.manage({**bench.base_env, "DATABASE_URL": f"sqlite:///{tmp / 'static.sqlite3'}"}, "collectstatic", "--noinput", "-v0")
        for database in args.databases:
            print(f"{database}: building the database", flush=True)
            env = bench.build_database(database)
            article, pk = pick_article(env)
            (tmp / "bench_minimal_urls.py").write_text(MINIMAL_MODULE.replace("PK", str(pk)))
            (tmp / "bench_minimal_settings.py").write_text(SETTINGS_MODULE)
            env = {**env, "PAGE_CACHE": "0", "DJANGO_SETTINGS_MODULE": "bench_minimal_settings",
                   "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}"}
            out = subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", f"PATHS = {[MINIMAL_PATH, article]!r}\n" + CPU_CODE],
                cwd=ROOT, env=env, check=True, capture_output=True, text=True,
            ).stdout
            for path, size, ms in re.findall(r"^(\S+) (\d+) ([\d.]+)$", out, re.M):
                view = "minimal view" if path == MINIMAL_PATH else "article, uncached"
                cpu.append((database, view, int(size), float(ms)))
                print(f"  {view}: {int(size):,} bytes, {float(ms):.2f} ms CPU per request in-process", flush=True)
            port = free_port()
            server = bench.start_gunicorn(env, port)
            try:
                fetch(f"http://127.0.0.1:{port}{article}")  # its parts are rendered and stored once
                views = {"minimal view": MINIMAL_PATH, "article, uncached": article}
                for connections in args.connections:
                    runs, argv = {view: [] for view in views}, {}
                    for n in range(args.rounds):
                        for view in (views if n % 2 == 0 else reversed(views)):
                            result, argv[view] = wrk(f"http://127.0.0.1:{port}{views[view]}", connections, args.duration)
                            runs[view].append(result)
                            rps, p50, p99, errors = result
                            print(f"  {view:<18} c={connections:<3} {rps:>8,.0f} req/s  p50 {p50:5.1f} ms  "
                                  f"p99 {p99:5.1f} ms  errors {errors}", flush=True)
                    for view in views:
                        rows.append(Row.of_rounds(database, view, connections, runs[view]))
                        commands.append(f"{argv[view]}   # {database}, {view}, {args.rounds} rounds")
            finally:
                stop(server)
        commands = bench.commands + commands
    table, checks = report(rows, cpu)
    print("\n" + table + "\n\n" + "\n".join(checks))
    write_results(args, table, checks, commands, article, load_before)
    print(f"\nwritten to {args.output}")


def report(rows: list[Row], cpu) -> tuple[str, list[str]]:
    minimal = {(r.database, r.connections): r.rps for r in rows if r.view == "minimal view"}
    lines = ["| Database | View | Conns | Req/s | Req/s range | p50 ms | p99 ms | Errors | vs minimal |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    checks = []
    for r in rows:
        share = r.rps / minimal[r.database, r.connections]
        lines.append(f"| {r.database} | {r.view} | {r.connections} | {r.rps:,.0f} | {r.rps_low:,.0f}–{r.rps_high:,.0f} | "
                     f"{r.p50:.2f} | {r.p99:.2f} | {r.errors} | {share:.2f} |")
        if r.view != "minimal view" and r.connections == 16:
            ok = share >= 0.9 and r.p99 <= 30 and r.errors == 0
            checks.append(f"- {'PASS' if ok else 'FAIL'} {r.database}, 16 connections: {share:.2f} × the minimal view, "
                          f"p99 {r.p99:.1f} ms, {r.errors} errors")
    lines += ["", "| Database | View | Bytes | CPU ms per request (in-process) |", "|---|---|--:|--:|"]
    lines += [f"| {db} | {view} | {size:,} | {ms:.2f} |" for db, view, size, ms in cpu]
    return "\n".join(lines), checks


def write_results(args, table, checks, commands, article, load_before) -> None:
    section = f"""{SECTION} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, issue 14)

{args.articles:,} articles (bench/corpus.py), gunicorn with the repository's gunicorn.conf.py
({os.cpu_count()} cores: as many workers, 2 threads each), the page cache off, wrk over 127.0.0.1 for
{args.duration} s per run after a 2 s warm-up, the two views in turn, {args.rounds} rounds in ABBA order;
each figure is the median of the rounds. The minimal view is one query and
a 12 KB template behind the same middleware (defined in bench/bench_floor.py). The article is
`{article}`, with five related cards; its stored parts (qa/article_page.py) were made by its first
request. Load average before: {' '.join(load_before)}; after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}.

{table}

{TARGETS}

{chr(10).join(checks)}

```
{PYTHON} bench/bench_floor.py --articles {args.articles} --duration {args.duration} --rounds {args.rounds} --connections {','.join(map(str, args.connections))} --databases {','.join(args.databases)}
{chr(10).join(commands)}
```
"""
    text = args.output.read_text() if args.output.exists() else ""
    start = text.find(SECTION)
    if start < 0:  # the first run appends its section; later runs replace it where it stands
        args.output.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    nxt = re.search(r"^## ", text[start + len(SECTION):], flags=re.M)
    rest = text[start + len(SECTION) + nxt.start():] if nxt else ""
    args.output.write_text(text[:start] + section + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
