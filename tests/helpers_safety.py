"""Helpers for the export, hostile-input and crash-safety tests.

``article_snapshot`` is a canonical snapshot of every article in a database, to compare two
databases field for field. It is plain SQL over a DB-API cursor, so it reads the test database
(through Django's cursor) and a SQLite file another process wrote (through sqlite3) alike.
Articles are keyed by their url, never by primary keys or timestamps, which differ between two
imports of the same files.

``run_child`` runs manage.py in a child process on a SQLite file (``new_sqlite_db``), with a
time limit, and reports the child's peak memory.
"""
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

ARTICLES = """
    SELECT s.slug AS subject, q.slug, q.title, q.article_title, q.question, q.date, q.author,
           q.source_id, q.score, q.no_index, q.date_format, q.post_on_text, q.status, q.publish_at,
           q.source_missing, q.extra, q.source_hash,
           a.body AS answer_body, a.html AS answer_html,
           seo.title AS seo_title, seo.page_description AS seo_description, seo.page_keywords AS seo_keywords
    FROM qa_question q
    JOIN qa_subject s ON s.id = q.subject_id
    LEFT JOIN qa_answer a ON a.question_id = q.id
    LEFT JOIN qa_seo seo ON seo.question_id = q.id
"""
RELATED = """
    SELECT s.slug, q.slug, r.position, r.target_url, r.target_title, r.target_subject, r.target_source_id
    FROM qa_relatedarticle r
    JOIN qa_question q ON q.id = r.question_id
    JOIN qa_subject s ON s.id = q.subject_id
    ORDER BY s.slug, q.slug, r.position
"""


def _rows(cursor, sql):
    cursor.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def article_snapshot(cursor, *, with_hash=True) -> dict:
    """{"articles": {url: fields}, "subjects": {slug: fields}, "redirects": [(old, new)]}."""
    articles = {}
    for row in _rows(cursor, ARTICLES):
        url = f"/learn/{row.pop('subject')}/questions/{row.pop('slug')}"
        if isinstance(row["extra"], str):  # SQLite hands JSON back as text
            row["extra"] = json.loads(row["extra"])
        row["date"] = str(row["date"])
        row["no_index"], row["source_missing"] = bool(row["no_index"]), bool(row["source_missing"])
        if not with_hash:
            del row["source_hash"]
        row["related"] = []
        articles[url] = row
    cursor.execute(RELATED)
    for subject, slug, *link in cursor.fetchall():
        articles[f"/learn/{subject}/questions/{slug}"]["related"].append(tuple(link))
    subjects = {
        row.pop("slug"): {**row, "is_listed": bool(row["is_listed"])}
        for row in _rows(cursor, "SELECT slug, title, is_listed, position FROM qa_subject")
    }
    cursor.execute("SELECT old_path, new_path FROM django_redirect ORDER BY old_path")
    return {"articles": articles, "subjects": subjects, "redirects": [tuple(r) for r in cursor.fetchall()]}


def run_command(name, *args):
    """Run a management command in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


# -- running manage.py in a child process, on a SQLite file ---------------------------------

ROOT = Path(__file__).resolve().parent.parent


def child_env(db_path) -> dict:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "DJANGO_SETTINGS_MODULE": "quicktakes.test_settings"}
    env.pop("REDIS_URL", None)  # a child's cache.clear() must never reach a shared Redis
    return env


def manage_args(*args) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *map(str, args)]


@dataclass
class ChildResult:
    code: int
    out: str
    err: str
    peak_rss_mb: float
    seconds: float


# Runs the command given after it and writes its peak RSS (in KiB, its reaped workers included)
# to the file named first. Measuring from this small process matters: Linux keeps a process's
# peak across exec, so a child forked straight from the (large) test process would report the
# test process's size.
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def run_child(args, env, timeout) -> ChildResult:
    """Run a child to its end and measure its peak memory; fail the test if it outlives ``timeout``."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        peak_file = Path(tmp) / "peak-rss-kib"
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(peak_file), *map(str, args)],
                                stdout=out, stderr=err, env=env, cwd=ROOT, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{' '.join(map(str, args[2:4]))} still running after {timeout} s") from None
        finally:
            kill_group(proc.pid)
        out.seek(0), err.seek(0)
        return ChildResult(
            proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
            int(peak_file.read_text()) / 1024, time.monotonic() - started,
        )


def kill_group(pgid) -> None:
    """SIGKILL whatever is left of a child started with start_new_session (its session's group)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    subprocess.run(manage_args("migrate", "-v0"), env=child_env(path), cwd=ROOT, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file the copies take
    return path


@pytest.fixture
def new_sqlite_db(migrated_sqlite_template, tmp_path):
    """Make a fresh, migrated SQLite file: ``new_sqlite_db("name")`` returns its path."""

    def make(name):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(migrated_sqlite_template, path)
        return path

    return make
