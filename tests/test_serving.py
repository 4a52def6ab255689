"""Serving: collectstatic with hashed, compressed files; gunicorn's config; deploy/nginx.conf in front of the app."""
import gzip
import http.client
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import ARTICLE, factory
from tests.processes import PRODUCTION_CLEAN, ROOT, free_port, production_env


def test_collectstatic_writes_hashed_compressed_files(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in PRODUCTION_CLEAN},
        "DJANGO_SETTINGS_MODULE": "quicktakes.settings",
        **production_env(STATIC_ROOT=str(tmp_path)),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").is_file()
    hashed = list((tmp_path / "admin" / "css").glob("base.*.css"))
    assert hashed, "no hashed copy of admin/css/base.css"
    assert Path(f"{hashed[0]}.gz").is_file()


def test_gunicorn_config_takes_workers_from_the_cpu_count_and_the_environment():
    code = "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps([c['workers'], c['threads']]))"
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert run() == f"[{os.cpu_count()}, 2]"
    assert run(WEB_CONCURRENCY="7", GUNICORN_THREADS="3") == "[7, 3]"


# -- deploy/nginx.conf, run for real in front of the live server ----------------------------------


@pytest.fixture
def nginx(tmp_path, live_server, settings):
    """deploy/nginx.conf with local ports and paths and a self-signed certificate, in front of live_server."""
    if not shutil.which("nginx") or not shutil.which("openssl"):
        pytest.skip("nginx and openssl are needed (apt-get install nginx)")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "quicktakes.example"]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=quicktakes.example",
         "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"],
        check=True, capture_output=True,
    )
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body { margin: 0 }")
    (tmp_path / "static" / "site.css.gz").write_bytes(gzip.compress(b"body { margin: 0 }"))
    http_port, https_port = free_port(), free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {
        "/var/cache/nginx/quicktakes": str(tmp_path / "cache"),
        "server 127.0.0.1:8000;": f"server {live_server.url.removeprefix('http://')};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/quicktakes.example/fullchain.pem": str(tmp_path / "cert.pem"),
        "/etc/letsencrypt/live/quicktakes.example/privkey.pem": str(tmp_path / "key.pem"),
        "/etc/nginx/quicktakes-locations.conf": str(tmp_path / "locations.conf"),
    }.items():
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    locations = (ROOT / "deploy" / "quicktakes-locations.conf").read_text()
    locations = locations.replace("/srv/quicktakes/staticfiles/", f"{tmp_path / 'static'}/")
    (tmp_path / "locations.conf").write_text(locations)
    (tmp_path / "logs").mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
        {user} daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log;
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            access_log off;
            client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
            {site}
        }}""")
    process = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], stderr=subprocess.PIPE
    )
    try:
        wait_for_port(https_port, process)
        yield http_port, https_port
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=10)


def wait_for_port(port, process):
    import socket

    for _ in range(50):
        if process.poll() is not None:
            pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail("nginx did not listen")


def get(port, path, *, tls=True, headers=None):
    context = ssl._create_unverified_context()  # the test's own self-signed certificate
    conn = (
        http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    )
    conn.request("GET", path, headers={"Host": "quicktakes.example", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


@pytest.mark.django_db(transaction=True)
def test_nginx_redirects_http_to_https(nginx):
    http_port, _ = nginx
    response, _ = get(http_port, ARTICLE, tls=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://quicktakes.example{ARTICLE}"


@pytest.mark.django_db(transaction=True)
def test_nginx_proxy_cache_keeps_public_pages(nginx):
    _, port = nginx
    factory.make_article()
    first, body = get(port, ARTICLE)
    assert first.status == 200
    assert first.getheader("X-Cache-Status") == "MISS"
    second, again = get(port, ARTICLE)
    assert second.getheader("X-Cache-Status") == "HIT"
    assert again == body
    assert second.getheader("Content-Security-Policy")  # the app's headers are kept with the page
    conditional, _ = get(port, ARTICLE, headers={"If-None-Match": first.getheader("ETag")})
    assert conditional.status == 304


@pytest.mark.django_db(transaction=True)
def test_nginx_never_keeps_editors_pages_or_errors(nginx):
    _, port = nginx
    factory.make_article()
    editor = {"Cookie": f"{settings.SESSION_COOKIE_NAME}=not-a-real-session"}
    assert get(port, ARTICLE, headers=editor)[0].getheader("X-Cache-Status") == "BYPASS"
    assert get(port, ARTICLE, headers=editor)[0].getheader("X-Cache-Status") == "BYPASS"
    assert get(port, ARTICLE)[0].getheader("X-Cache-Status") == "MISS"  # the editor filled nothing
    missing = "/learn/biology/questions/no-such-article"
    for _ in range(2):
        response, _ = get(port, missing)
        assert response.status == 404
        assert response.getheader("X-Cache-Status") == "MISS"
    login = get(port, f"/{settings.ADMIN_URL}login/")[0]
    assert login.getheader("X-Cache-Status") == "MISS"
    assert get(port, f"/{settings.ADMIN_URL}login/")[0].getheader("X-Cache-Status") == "MISS"


@pytest.mark.django_db(transaction=True)
def test_nginx_serves_static_files_for_a_year_compressed(nginx):
    _, port = nginx
    response, body = get(port, "/static/site.css")
    assert response.status == 200
    assert body == b"body { margin: 0 }"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    # whitenoise's collectstatic leaves a .gz beside each file; nginx sends it as it is.
    response, body = get(port, "/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == b"body { margin: 0 }"
