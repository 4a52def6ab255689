"""Commands, child processes and ports for the tests.

* :func:`run_command` runs a management command in-process and returns its exit status and output;
* :func:`run_child` runs manage.py (:func:`manage_args`) in a child process on a SQLite file
  (:func:`child_env`; the ``new_sqlite_db`` fixture makes one), with a time limit, and reports
  the child's peak memory;
* :func:`run_django` and :func:`read_settings` run Python with the real settings in a clean
  environment (:data:`PRODUCTION_CLEAN`, :func:`production_env`);
* :func:`free_port` finds a TCP port for a server a test starts.
"""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parent.parent


def run_command(name, *args):
    """Run a management command in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


# -- manage.py in a child process, on a SQLite file ------------------------------------------


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


# -- the production settings, in a clean environment -------------------------------------------

# Variables the test process sets or may inherit that would blur what production sees.
PRODUCTION_CLEAN = (
    "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "SITE_URL", "HTTPS", "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # browser tests set it; check --deploy rightly refuses it
)


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    """Run Python with the real settings (not the test settings) and the given environment."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_CLEAN}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "quicktakes.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides):
    return {
        "DEBUG": "0",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "quicktakes.example",
        "SITE_URL": "https://quicktakes.example",
        **overrides,
    }


def read_settings(*names, **env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run_django(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- ports ------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
