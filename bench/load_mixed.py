"""Load run: 64 concurrent clients for 60 s over article, subject, search and sitemap pages.

Builds a database from the seed files (the real sample in ../shared/corpus by default), starts
gunicorn with the repository's gunicorn.conf.py, and drives wrk with a Lua script that walks a
shuffled list of paths, counting every status code and every page-cache hit and miss
(X-Page-Cache). Every second it samples the resident memory of gunicorn's master and workers.
With ``--edit-every 2`` an editor in another process saves an article of the mix every two
seconds meanwhile (its question and answer, through the ORM as the admin does, then the stored
parts), so the hit ratio shows what edits cost the cache. Passes when no request got a 5xx or a
socket error, memory at the end is within 10% (or 20 MB) of memory after the first quarter of the
run, and, with an editor, the hit ratio is at least 95%.

    .venv/bin/python bench/load_mixed.py [--seconds 60] [--connections 64] [--database sqlite|postgresql]
        [--redis-url URL] [--edit-every 2] [--append bench/RESULTS.md]
"""
import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

if not __package__:  # run as `python bench/load_mixed.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS, CORPUS_SEEDS, GUNICORN, PYTHON, ROOT, free_port, recreate_postgres, wait_for

LUA = r"""
local paths = {}
for line in io.lines(os.getenv("QT_PATHS")) do paths[#paths + 1] = line end
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  cache = {}
  position = math.random(#paths)
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local state = headers["X-Page-Cache"]
  if state then cache[state] = (cache[state] or 0) + 1 end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\n", status, count))
  end
  local states = {}
  for _, thread in ipairs(threads) do
    for state, count in pairs(thread:get("cache")) do
      states[state] = (states[state] or 0) + count
    end
  end
  for state, count in pairs(states) do
    io.write(string.format("cache %s %d\n", state, count))
  end
end
"""

PATHS_CODE = """
import json
from django.urls import NoReverseMatch, reverse
from qa.models import Question, Subject
articles = [q.get_absolute_url() for q in Question.objects.published().select_related("subject")]
subjects = list(Subject.objects.values_list("slug", flat=True))
try:
    search = reverse("qa:search")
except NoReverseMatch:
    search = None
print(json.dumps({"articles": articles, "subjects": subjects, "search": search}))
"""

# The editor: every QT_EDIT_EVERY seconds, one article of the mix changes its question and answer,
# saved as the admin saves (one transaction, the ORM's signals), then its stored parts.
EDITOR_CODE = """
import os, random, time
from django.db import transaction
from qa import article_page
from qa.models import Question
from qa.serving import changes
paths = [p for p in open(os.environ["QT_PATHS"]).read().split() if "/questions/" in p]
every, until = float(os.environ["QT_EDIT_EVERY"]), time.monotonic() + float(os.environ["QT_EDIT_SECONDS"])
rng, saves = random.Random(14), 0
while time.monotonic() < until:
    subject, slug = paths[rng.randrange(len(paths))].split("/")[2::2]
    with transaction.atomic():
        question = Question.objects.select_related("answer", "subject").get(subject__slug=subject, slug=slug)
        question.question = question.question.rstrip("?") + " (edited)?"
        question.save()
        question.answer.body += "\\n\\nEdited during the load run."
        question.answer.save()
    article_page.render_and_store(question.pk, changes.current())
    saves += 1
    time.sleep(every)
print("saves", saves)
"""


def paths_for(env, count: int) -> tuple[list[str], list[str]]:
    import json

    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", PATHS_CODE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip().splitlines()[-1]
    data = json.loads(out)
    rng = random.Random(6)
    notes = []
    articles = rng.sample(data["articles"], min(count, len(data["articles"])))
    subjects = [f"/learn/{s}/" for s in data["subjects"]] + [f"/learn/{s}/?page=2" for s in data["subjects"]]
    sitemaps = ["/sitemap.xml", "/sitemap-pages.xml"] + [f"/sitemaps/{s}.xml" for s in data["subjects"]]
    searches = []
    if data["search"]:
        words = ["cell", "energy", "equation", "history", "market", "protein", "war", "function", "climate", "law"]
        searches = [f"{data['search']}?q={word}" for word in words] * 5
    else:
        notes.append("no search page (URL name qa:search) yet: the mix has articles, subjects and sitemaps only")
    # Articles dominate, as in real traffic; every kind of page is in every stretch of the run.
    paths = articles + subjects * 2 + sitemaps * 2 + searches + ["/learn/"] * 20
    rng.shuffle(paths)
    return paths, notes


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def rss_kb(master_pid: int) -> int:
    pids = [master_pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    except OSError:
        return 0
    total = 0
    for pid in pids:
        try:
            match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            total += int(match.group(1)) if match else 0
        except OSError:
            pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=CORPUS_SEEDS)
    parser.add_argument("--subjects", type=Path, default=CORPUS / "subjects.yaml")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qt_bench_serving")
    )
    parser.add_argument("--articles", type=int, default=1000, help="distinct article pages in the mix")
    parser.add_argument("--redis-url", help="serve the page cache from this Redis (shared by the workers)")
    parser.add_argument("--edit-every", type=float, help="an editor saves an article of the mix every N seconds")
    parser.add_argument("--warm-up", type=int, default=10,
                        help="seconds of the same load first, not counted: every worker's own cache fills")
    parser.add_argument("--append", type=Path, help="append the result to this markdown file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qt-load-") as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(DEBUG="0", SECRET_KEY="bench-only-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1,localhost",
                   STATIC_ROOT=str(tmp / "static"), LOG_LEVEL="WARNING")
        if args.redis_url:
            env.update(REDIS_URL=args.redis_url, CACHE_KEY_PREFIX=f"qt-load-{os.getpid()}")
        if args.database == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{tmp / 'load.sqlite3'}"
        else:
            env["DATABASE_URL"] = args.postgres_url
            recreate_postgres(args.postgres_url)
        commands = []
        for argv in (
            ["migrate", "--noinput", "-v0"],
            ["import_seeds", str(args.seeds), "--subjects", str(args.subjects), "--quiet"],
            ["collectstatic", "--noinput", "-v0"],
        ):
            commands.append(" ".join([PYTHON, "manage.py", *argv]))
            subprocess.run([PYTHON, "manage.py", *argv], cwd=ROOT, env=env, check=True)
        paths, notes = paths_for(env, args.articles)
        (tmp / "mix.lua").write_text(LUA)

        port = free_port()
        gunicorn_argv = [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        commands.append(f"DATABASE_URL={shlex.quote(env['DATABASE_URL'])} " + " ".join(gunicorn_argv))
        server = subprocess.Popen(gunicorn_argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(f"http://127.0.0.1:{port}/learn/")
            # Only pages that exist (a subject may have no page 2 or no sitemap): a 404 in the run
            # would then mean something broke. Fetching each once also warms the caches.
            missing = {path for path in set(paths) if status_of(f"http://127.0.0.1:{port}{path}") != 200}
            if missing:
                notes.append(f"{len(missing)} of {len(set(paths))} distinct paths answered no 200 before the run and were left out")
            paths = [path for path in paths if path not in missing]
            (tmp / "paths.txt").write_text("\n".join(paths) + "\n")
            samples: list[tuple[float, int]] = []
            stop = threading.Event()

            def sample():
                started = time.monotonic()
                while not stop.wait(1.0):
                    samples.append((time.monotonic() - started, rss_kb(server.pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            wrk_argv = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                        "-s", str(tmp / "mix.lua"), f"http://127.0.0.1:{port}"]
            commands.append(f"QT_PATHS={tmp / 'paths.txt'} " + " ".join(wrk_argv))
            print(f"{len(paths)} paths; wrk for {args.seconds} s at {args.connections} connections", flush=True)
            if args.warm_up:
                warm_argv = [*wrk_argv[:3], f"-d{args.warm_up}s", *wrk_argv[4:]]
                commands.append(f"# first, not counted: QT_PATHS={tmp / 'paths.txt'} " + " ".join(warm_argv))
                subprocess.run(warm_argv, env={**os.environ, "QT_PATHS": str(tmp / "paths.txt")}, capture_output=True, check=True)
            sampler.start()
            editor = None
            if args.edit_every:
                editor_env = {**env, "QT_PATHS": str(tmp / "paths.txt"), "QT_EDIT_EVERY": str(args.edit_every),
                              "QT_EDIT_SECONDS": str(args.seconds - 1)}
                commands.append(f"# meanwhile an editor saves an article every {args.edit_every:g} s: "
                                "manage.py shell -c EDITOR_CODE (bench/load_mixed.py)")
                editor = subprocess.Popen([PYTHON, "manage.py", "shell", "-c", EDITOR_CODE], cwd=ROOT, env=editor_env,
                                          stdout=subprocess.PIPE, text=True)
            out = subprocess.run(wrk_argv, env={**os.environ, "QT_PATHS": str(tmp / "paths.txt")},
                                 capture_output=True, text=True, check=True).stdout
            saves = int(re.search(r"saves (\d+)", editor.communicate(timeout=60)[0]).group(1)) if editor else 0
            stop.set()
            sampler.join()
        finally:
            server.terminate()
            server.wait(timeout=30)

    statuses = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)[0]) \
        if "Socket errors" in out else 0
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    quarter = [kb for t, kb in samples if t <= args.seconds / 4] or [samples[0][1]]
    base, end = max(quarter), samples[-1][1]
    growth = end - base
    memory_flat = growth <= max(0.10 * base, 20 * 1024)
    states = {state: int(n) for state, n in re.findall(r"^cache (\w+) (\d+)$", out, re.M)}
    cached = states.get("hit", 0) + states.get("miss", 0)
    hit_ratio = states.get("hit", 0) / cached if cached else 0.0
    passed = server_errors == 0 and errors == 0 and memory_flat and (not args.edit_every or hit_ratio >= 0.95)

    status_text = ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
    table = (
        "| Database | Cache | Conns | Seconds | Editor saves | Req/s | p99 | Statuses | 5xx | Socket errors | Cache hits | "
        "RSS after 1/4 | RSS at end | Verdict |\n"
        "|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|\n"
        f"| {args.database} | {'redis' if args.redis_url else 'locmem'} | {args.connections} | {args.seconds} | {saves} | "
        f"{rps:,.0f} | {p99} | {status_text} | {server_errors} | {errors} | "
        f"{hit_ratio:.1%} of {cached:,} | {base / 1024:.0f} MB | {end / 1024:.0f} MB | {'pass' if passed else 'FAIL'} |"
    )
    print(out)
    print(table)
    for note in notes:
        print(f"note: {note}")
    if args.append:
        with args.append.open("a") as fh:
            fh.write(
                f"\n## Load: mixed pages for {args.seconds} s ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)\n\n"
                f"Articles ({args.articles} distinct), subject pages (1 and 2), /learn/, sitemaps"
                f"{'' if any('no search page' in n for n in notes) else ', search'}; wrk with bench/load_mixed.py's Lua script counting statuses; "
                "gunicorn's master and workers' resident memory sampled every second"
                + (f"; counted after {args.warm_up} s of the same load" if args.warm_up else "")
                + (f"; an editor saved an article of the mix every {args.edit_every:g} s (bench/load_mixed.py EDITOR_CODE)"
                   if args.edit_every else "") + ".\n\n"
                + table + "\n\n" + "".join(f"Note: {n}.\n\n" for n in notes)
                + "```\n" + f"{PYTHON} bench/load_mixed.py --seconds {args.seconds} --connections {args.connections} "
                f"--database {args.database}"
                + (f" --redis-url {args.redis_url}" if args.redis_url else "")
                + (f" --edit-every {args.edit_every:g}" if args.edit_every else "")
                + "\n" + "\n".join(commands) + "\n```\n"
            )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
