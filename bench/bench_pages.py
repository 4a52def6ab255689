"""Article page throughput: gunicorn (2 workers) on SQLite, measured with wrk.

Imports fixtures/ (or the real sample with --corpus) into a fresh SQLite database, serves it
with gunicorn and runs wrk against one article page.

    .venv/bin/python bench/bench_pages.py [--corpus] [--seconds 10] [--connections 16] [--path /learn/...]

The environment passes through: PAGE_CACHE=0 measures the view itself, rendering every request.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as `python bench/bench_pages.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS, CORPUS_SEEDS, ROOT, free_port, wait_for

FIXTURE_ARTICLE = "/learn/computer-science/questions/what-is-big-o-notation"
CORPUS_ARTICLE = (
    "/learn/accounting-and-finance/questions/how-does-the-capitalization-income-approach-work-in-property-appraisal"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="import ../shared/corpus instead of fixtures/")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--path", help="the page to request (default: an article with math, a table and code)")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if args.corpus:
        seeds, subjects, path = CORPUS_SEEDS, CORPUS / "subjects.yaml", args.path or CORPUS_ARTICLE
    else:
        seeds, subjects, path = ROOT / "fixtures", ROOT / "fixtures" / "subjects.yaml", args.path or FIXTURE_ARTICLE

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "PLAIN_STATIC": "1",  # no collectstatic needed; static files are not what is measured
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        env.pop("REDIS_URL", None)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "import_seeds", str(seeds), "--subjects", str(subjects), "--quiet"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )

        port = free_port()
        url = f"http://127.0.0.1:{port}{path}"
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "quicktakes.wsgi", "--workers", str(args.workers),
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            ],
            cwd=ROOT, env=env,
        )
        try:
            wait_for(url)
            result = subprocess.run(
                [wrk, "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", url],
                capture_output=True, text=True, check=True,
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    print(result.stdout)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    print(f"page: {path} (page cache {'off' if os.environ.get('PAGE_CACHE') == '0' else 'on'})")
    print(f"gunicorn {args.workers} workers, wrk {args.connections} connections, {args.seconds} s, "
          f"{os.cpu_count()} cores")
    print(f"requests/s: {float(rate.group(1)):.0f}" if rate else "requests/s: (not found in wrk output)")
    if errors:
        sys.exit(f"{errors.group(1)} responses were not 2xx/3xx")


if __name__ == "__main__":
    main()
