"""gunicorn settings, read automatically from the repository root: ``gunicorn`` (or ``gunicorn -c gunicorn.conf.py``).

Every value can be overridden from the environment (or on the command line).
"""
import multiprocessing
import os

wsgi_app = "quicktakes.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Rendering a page is Python work, bound by the CPU: one worker process per core. Two threads in
# each let one request wait on the database or Redis while the other runs. Threaded workers also
# keep connections alive (sync workers close each one), which clients and nginx's upstream
# keepalive rely on. Override with WEB_CONCURRENCY (gunicorn's own name) and GUNICORN_THREADS.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Each worker takes its share of new connections from the kernel (SO_REUSEPORT). Without it, one
# gthread worker can accept most of a burst of keep-alive connections (nginx's upstream pool, a
# load generator) and serve them on one core while the other idles: half the rate, and the p99
# of a queue (bench/bench_floor.py measured runs alternating between 1,000 and 500 req/s).
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycling a worker now and then bounds any slow leak; the jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10

# Load Django once in the master: faster starts and shared memory. No database connection is
# opened at import, so none is shared by the forked workers.
preload_app = True

# Trust X-Forwarded-* only from the local proxy (nginx on the same host).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # e.g. "-" for stdout; off by default: nginx logs
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
