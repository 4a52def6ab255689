"""Serving benchmark: one article page, side by side, in one run.

Builds a database on SQLite and on PostgreSQL from the seed files (the real sample in
../shared/corpus by default), starts gunicorn with the repository's gunicorn.conf.py and nginx
with deploy/quicktakes-locations.conf (adapted to local ports, in a temporary prefix), then loads
an article page with wrk at each connection count:

- nginx serving the page as a static file (the rate to compare with),
- nginx's proxy cache in front of gunicorn (the deploy/ configuration),
- gunicorn with the app's page cache (local memory; and Redis on PostgreSQL),
- gunicorn with caching off (PAGE_CACHE=0): every request renders the page.

It prints a markdown table and writes it, with the exact command lines, to bench/RESULTS.md.

    .venv/bin/python bench/wrk_compare.py [--seeds DIR --subjects FILE] [--duration 12]
        [--connections 16,64] [--databases sqlite,postgresql] [--output bench/RESULTS.md]

Needs wrk and nginx (Debian packages), PostgreSQL and Redis on 127.0.0.1 for their rows
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/qt_bench_serving, is dropped and
re-created; BENCH_REDIS_URL, default redis://127.0.0.1:6379/15).
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as `python bench/wrk_compare.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS, CORPUS_SEEDS, GUNICORN, PYTHON, ROOT, free_port, recreate_postgres, wait_for

PAGE_BYTES = 12_000  # the article page is chosen near this size, like the static export's pages

TARGETS = """\
Targets (issue 6, this 2-core machine): nginx proxy cache at least 80% of nginx's static-file rate;
gunicorn with the app cache at least 2,500 req/s; with caching off at least 800 req/s; p99 under
30 ms at 16 connections; zero errors."""


@dataclass
class Result:
    server: str
    database: str
    cache: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    command: str


def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), dict(response.headers)


class Bench:
    def __init__(self, args, tmp: Path):
        self.args = args
        self.tmp = tmp
        self.commands: list[str] = []
        self.results: list[Result] = []
        self.article = ""
        self.cpu: list[tuple[str, str, float]] = []
        self.page_bytes = 0
        self.base_env = {
            key: value for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PAGE_CACHE"}
        }
        self.base_env.update(
            DEBUG="0",
            SECRET_KEY="bench-only-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=str(tmp / "staticfiles"),
            CACHE_KEY_PREFIX="qt-bench",
            LOG_LEVEL="WARNING",
        )

    def run(self, argv, env=None, record=True):
        if record:
            self.commands.append(" ".join(shlex.quote(str(a)) for a in argv))
        subprocess.run(argv, cwd=ROOT, env=env or self.base_env, check=True)

    def manage(self, env, *argv, record=True):
        self.run([PYTHON, "manage.py", *argv], env=env, record=record)

    # -- databases ------------------------------------------------------------------------------

    def database_env(self, database: str) -> dict:
        if database == "sqlite":
            return {**self.base_env, "DATABASE_URL": f"sqlite:///{self.tmp / 'bench.sqlite3'}"}
        return {**self.base_env, "DATABASE_URL": self.args.postgres_url}

    def build_database(self, database: str) -> dict:
        env = self.database_env(database)
        if database == "postgresql":
            recreate_postgres(self.args.postgres_url)
        self.manage(env, "migrate", "--noinput", "-v0")
        started = time.monotonic()
        self.manage(env, "import_seeds", str(self.args.seeds), "--subjects", str(self.args.subjects), "--quiet")
        print(f"  imported into {database} in {time.monotonic() - started:.1f} s", flush=True)
        return env

    def pick_article(self, env) -> str:
        """A published article whose answer makes the page about PAGE_BYTES long."""
        code = (
            "from django.db.models.functions import Length; from qa.models import Question; "
            "qs = Question.objects.published().select_related('subject').annotate(n=Length('answer__html')); "
            f"q = min(qs.filter(n__gt=0), key=lambda q: abs(q.n - {PAGE_BYTES - 3000})); print(q.get_absolute_url())"
        )
        out = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        return out.stdout.strip().splitlines()[-1]

    def cpu_per_request(self, env, article: str, database: str) -> None:
        """Milliseconds of this process's CPU per request through Django's WSGI handler, no HTTP.

        CPU time hardly moves when other programs share the machine, unlike req/s: it gives the
        capacity of an idle core (1000 / ms requests per second), whatever the load was.
        """
        code = f"""
import time
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import FakePayload
handler = WSGIHandler()
def call():
    environ = {{"REQUEST_METHOD": "GET", "PATH_INFO": {article!r}, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": FakePayload(b"")}}
    status = []
    body = b"".join(handler(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("200"), status
for _ in range(20):
    call()
started = time.process_time()
for _ in range(300):
    call()
print((time.process_time() - started) / 300 * 1000)
"""
        for cache in ("on", "off"):
            out = subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                env={**env, "PAGE_CACHE": "1" if cache == "on" else "0"},
            ).stdout.strip().splitlines()[-1]
            self.cpu.append((database, cache, float(out)))
            print(f"  CPU per request, page cache {cache}: {float(out):.2f} ms", flush=True)

    # -- servers --------------------------------------------------------------------------------

    def start_gunicorn(self, env, port: int) -> subprocess.Popen:
        argv = [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        self.commands.append(
            " ".join(f"{k}={shlex.quote(env[k])}" for k in ("DATABASE_URL", "REDIS_URL", "PAGE_CACHE") if k in env)
            + " " + " ".join(argv)
        )
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(f"http://127.0.0.1:{port}/learn/")
        except RuntimeError:
            process.kill()
            raise RuntimeError(process.stderr.read().decode()[-2000:]) from None
        return process

    def start_nginx(self, app_port: int, static_port: int, proxy_port: int) -> subprocess.Popen:
        prefix = self.tmp / "nginx"
        if prefix.exists():
            shutil.rmtree(prefix)
        (prefix / "logs").mkdir(parents=True)
        locations = (ROOT / "deploy" / "quicktakes-locations.conf").read_text()
        locations = locations.replace("/srv/quicktakes/staticfiles/", f"{self.tmp / 'staticfiles'}/")
        locations = locations.replace("/srv/quicktakes/media/", f"{self.tmp / 'media'}/")
        (prefix / "quicktakes-locations.conf").write_text(locations)
        # Started as root, nginx would run its worker as "nobody", who cannot read the private temp dir.
        user = "user root;" if os.geteuid() == 0 else ""
        config = f"""
{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    # As deploy/nginx.conf, on local ports and paths, without TLS.
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=quicktakes:50m max_size=1g inactive=1d use_temp_path=off;
    upstream quicktakes_app {{
        server 127.0.0.1:{app_port};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{proxy_port};
        include {prefix}/quicktakes-locations.conf;
    }}

    # The same page as a static file.
    server {{
        listen 127.0.0.1:{static_port};
        root {self.tmp / 'www'};
        default_type text/html;
        location / {{ try_files $uri =404; }}
    }}
}}
"""
        (prefix / "nginx.conf").write_text(config)
        argv = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        self.commands.append(" ".join(argv) + "   # config: deploy/quicktakes-locations.conf on local ports")
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        return process

    # -- load -----------------------------------------------------------------------------------

    def wrk(self, url: str, connections: int, label: tuple[str, str, str]) -> Result:
        threads = min(connections, self.args.threads)
        # A short warm-up fills every cache and opens every connection first.
        subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "2s", url], capture_output=True)
        argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{self.args.duration}s", "--latency", url]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        result = Result(*label, connections, *parse_wrk(out), command=" ".join(argv) + f"   # {', '.join(label)}")
        self.results.append(result)
        print(
            f"  {label[0]:<34} {label[1]:<10} {label[2]:<7} c={connections:<3} "
            f"{result.requests_per_second:>9,.0f} req/s  p99 {result.p99_ms:6.1f} ms  errors {result.errors}",
            flush=True,
        )
        return result

    def load(self, url, label):
        for connections in self.args.connections:
            self.wrk(url, connections, label)


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 — any failure means "no Redis rows"
        return False


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 in ms, and errors (socket errors plus non-2xx/3xx answers)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS_MS[unit]

    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(n) for n in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    return rps, percentile(50), percentile(99), errors


def markdown_table(results: list[Result]) -> str:
    static = {r.connections: r.requests_per_second for r in results if r.cache == "file"}
    lines = [
        "| Server | Database | Cache | Conns | Req/s | p50 ms | p99 ms | Errors | vs static |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        share = f"{100 * r.requests_per_second / static[r.connections]:.0f}%" if r.connections in static else ""
        lines.append(
            f"| {r.server} | {r.database} | {r.cache} | {r.connections} | {r.requests_per_second:,.0f} | "
            f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {share} |"
        )
    return "\n".join(lines)


def target_checks(results: list[Result]) -> list[str]:
    """One line per target of issue 6: met or not, with the figures behind it."""
    static = {r.connections: r.requests_per_second for r in results if r.cache == "file"}
    lines = []

    def check(name, ok, detail):
        lines.append(f"- {'met' if ok else 'NOT met'}: {name} ({detail})")

    proxied = [r for r in results if r.cache == "nginx"]
    if proxied and static:
        worst = min(proxied, key=lambda r: r.requests_per_second / static[r.connections])
        share = worst.requests_per_second / static[worst.connections]
        check("nginx proxy cache at least 80% of the static file", share >= 0.8,
              f"lowest {share:.0%}: {worst.database}, {worst.connections} connections")
    cached = [r for r in results if r.server == "gunicorn" and r.cache in ("locmem", "redis")]
    if cached:
        worst = min(cached, key=lambda r: r.requests_per_second)
        check("gunicorn with the app cache at least 2,500 req/s", worst.requests_per_second >= 2500,
              f"lowest {worst.requests_per_second:,.0f}: {worst.database}, {worst.cache}, {worst.connections} connections")
    uncached = [r for r in results if r.cache == "off"]
    if uncached:
        worst = min(uncached, key=lambda r: r.requests_per_second)
        check("caching off at least 800 req/s", worst.requests_per_second >= 800,
              f"lowest {worst.requests_per_second:,.0f}: {worst.database}, {worst.connections} connections")
    at16 = [r for r in results if r.connections == 16]
    if at16:
        worst = max(at16, key=lambda r: r.p99_ms)
        check("p99 under 30 ms at 16 connections", worst.p99_ms < 30,
              f"highest {worst.p99_ms:.1f} ms: {worst.server}, {worst.database}, {worst.cache}")
    errors = sum(r.errors for r in results)
    check("zero errors", errors == 0, f"{errors} in all runs")
    return lines


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM if "gunicorn" in process.args[0] else signal.SIGQUIT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=CORPUS_SEEDS)
    parser.add_argument("--subjects", type=Path, default=CORPUS / "subjects.yaml")
    parser.add_argument("--duration", type=int, default=12, help="seconds per wrk run")
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[16, 64])
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--databases", type=lambda s: s.split(","), default=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qt_bench_serving")
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y wrk nginx")
    if not args.seeds.is_dir():
        sys.exit(f"no seed files at {args.seeds} (use --seeds DIR --subjects FILE)")

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="qt-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        print("collectstatic (hashed, compressed)", flush=True)
        bench.manage({**bench.base_env, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"},
                     "collectstatic", "--noinput", "-v0")
        app_port, static_port, proxy_port = free_port(), free_port(), free_port()
        article = None
        for database in args.databases:
            print(f"{database}: building the database", flush=True)
            env = bench.build_database(database)
            article = article or bench.pick_article(env)
            bench.article = article
            bench.cpu_per_request(env, article, database)
            variants = [("locmem", {"PAGE_CACHE": "1"})]
            if database == "postgresql" and redis_reachable(args.redis_url):
                variants.append(("redis", {"PAGE_CACHE": "1", "REDIS_URL": args.redis_url}))
            variants.append(("off", {"PAGE_CACHE": "0"}))
            for cache, extra in variants:
                gunicorn = nginx = None
                try:
                    gunicorn = bench.start_gunicorn({**env, **extra}, app_port)
                    app_url = f"http://127.0.0.1:{app_port}{article}"
                    page, headers = fetch(app_url)
                    if article and not (Path(tmp) / "www" / article.lstrip("/")).exists():
                        static_file = Path(tmp) / "www" / article.lstrip("/")
                        static_file.parent.mkdir(parents=True, exist_ok=True)
                        static_file.write_bytes(page)
                        bench.page_bytes = len(page)
                        print(f"  article {article}: {len(page):,} bytes", flush=True)
                    if cache == "locmem":
                        nginx = bench.start_nginx(app_port, static_port, proxy_port)
                        if not any(r.cache == "file" for r in bench.results):
                            bench.load(f"http://127.0.0.1:{static_port}{article}", ("nginx static file", "-", "file"))
                        proxy_url = f"http://127.0.0.1:{proxy_port}{article}"
                        fetch(proxy_url)
                        status = fetch(proxy_url)[1].get("X-Cache-Status")
                        if status != "HIT":
                            raise RuntimeError(f"nginx proxy cache did not keep the page (X-Cache-Status {status})")
                        bench.load(proxy_url, ("nginx proxy cache → gunicorn", database, "nginx"))
                    bench.load(app_url, ("gunicorn", database, cache))
                finally:
                    stop(nginx)
                    stop(gunicorn)

    table = markdown_table(bench.results)
    print("\n" + table + "\n\n" + "\n".join(target_checks(bench.results)))
    write_results(args, bench, table, load_before)
    print(f"\nwritten to {args.output}")


def write_results(args, bench: Bench, table: str, load_before) -> None:
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    text = f"""# Serving benchmark

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPU cores (load average before
the run: {' '.join(load_before)}; after: {' '.join(Path("/proc/loadavg").read_text().split()[:3])}), {nginx_version}, wrk over 127.0.0.1, {args.duration} s per run after a
2 s warm-up. One article page of {bench.page_bytes:,} bytes: `{bench.article}`.

Re-run with:

    {PYTHON} bench/wrk_compare.py --duration {args.duration} --connections {','.join(map(str, args.connections))} --databases {','.join(args.databases)}

{table}

{TARGETS}

{chr(10).join(target_checks(bench.results))}

The req/s above depend on what else ran on the machine: wrk, nginx, gunicorn, PostgreSQL and Redis
share its cores with each other and with anything else running. The CPU time one request costs
in Django (in-process, no HTTP; PostgreSQL's own work not included) hardly does, and gives an idle
core's capacity as 1000 / ms:

| Database | Page cache | CPU ms per request | Requests/s per idle core |
|---|---|--:|--:|
{chr(10).join(f"| {db} | {cache} | {ms:.2f} | {1000 / ms:,.0f} |" for db, cache, ms in bench.cpu)}

## Command lines

```
{chr(10).join(bench.commands)}
{chr(10).join(dict.fromkeys(r.command for r in bench.results))}
```
"""
    # The serving section comes first and is replaced; the sections other benchmarks append stay.
    kept = ""
    if args.output.exists():
        later = re.search(r"^## (?!Command lines)", args.output.read_text(), flags=re.M)
        kept = "\n" + args.output.read_text()[later.start():] if later else ""
    args.output.write_text(text + kept)


if __name__ == "__main__":
    main()
