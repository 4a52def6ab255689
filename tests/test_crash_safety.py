"""An import killed with SIGKILL at a random moment leaves whole articles only, and running it
again gives the same database as one clean import."""
import os
import random
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from tests.db_snapshot import article_snapshot
from tests.processes import ROOT, child_env, kill_group, manage_args, run_child

pytestmark = pytest.mark.corpus

TIMEOUT = 300  # seconds for one whole import, on a loaded CI machine


def query(db_path, sql):
    with closing(sqlite3.connect(db_path, timeout=30)) as db:
        return db.execute(sql).fetchall()


def snapshot(db_path):
    with closing(sqlite3.connect(db_path, timeout=30)) as db:
        return article_snapshot(db.cursor())


def group_is_gone(pgid, wait=10.0):
    """True once no process of the killed import's group is left (its workers die with it)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def kill_while_writing(args, env, db_path, fraction, clean_seconds):
    """Start the import, wait for its first commit, and SIGKILL it ``fraction`` of the way
    from there to where a clean run ended. Returns its exit status (-9: killed)."""
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not query(db_path, "SELECT count(*) FROM qa_question")[0][0]:
            assert proc.poll() is None, "the import ended before writing anything"
            assert time.monotonic() - started < TIMEOUT, "the import wrote nothing in time"
            time.sleep(0.02)
        first_commit = time.monotonic() - started
        time.sleep(fraction * max(0.0, clean_seconds - first_commit))
        proc.kill()  # SIGKILL, to the importer alone: its workers must die with it
        proc.wait(TIMEOUT)
        assert group_is_gone(proc.pid), "import workers outlived the killed import"
    finally:
        kill_group(proc.pid)
    print(f"first commit after {first_commit:.2f} s, killed after {time.monotonic() - started:.2f} s "
          f"(a clean run took {clean_seconds:.2f} s)")
    return proc.returncode


def test_an_import_killed_at_a_random_moment_completes_when_run_again(corpus_dir, new_sqlite_db):
    args = manage_args(
        "import_seeds", corpus_dir / "learn", "--subjects", corpus_dir / "subjects.yaml",
        "--redirects", corpus_dir / "legacy-redirects.csv", "--quiet",
    )
    clean_db, crashed_db = new_sqlite_db("clean"), new_sqlite_db("crashed")

    clean = run_child(args, child_env(clean_db), TIMEOUT)
    assert clean.code == 0, clean.err
    assert "created 2552," in clean.out

    # A random moment while it writes; printed, to replay a failure.
    fraction = random.uniform(0, 0.6)
    print(f"kill at fraction {fraction:.3f}")
    status = kill_while_writing(args, child_env(crashed_db), crashed_db, fraction, clean.seconds)
    assert status == -9, "the import finished before it could be killed"

    # Whole articles only: every question that exists has its answer and SEO row.
    assert query(crashed_db, """
        SELECT count(*) FROM qa_question q
        WHERE NOT EXISTS (SELECT 1 FROM qa_answer a WHERE a.question_id = q.id)
           OR NOT EXISTS (SELECT 1 FROM qa_seo s WHERE s.question_id = q.id)
    """) == [(0,)]

    again = run_child(args, child_env(crashed_db), TIMEOUT)
    assert again.code == 0, again.err
    assert "failed 0" in again.out
    assert snapshot(crashed_db) == snapshot(clean_db)
    # The search index, built once at the end of a load into an empty index, is whole too.
    indexed = "SELECT count(*) FROM qa_search WHERE rowid IN (SELECT id FROM qa_question)"
    assert query(crashed_db, indexed) == query(clean_db, indexed) == [(2552,)]
