"""Production settings and security: secret key, HTTPS, headers, CSP, check --deploy, login throttling."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from qa.serving.security import client_ip
from tests.factories import ARTICLE, factory
from tests.processes import PRODUCTION_CLEAN, ROOT, production_env, read_settings, run_django

# -- the secret key and HTTPS ---------------------------------------------------------------------


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django("import django; django.setup()", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_development_runs_without_a_secret_key_when_debug_is_on():
    assert read_settings("DEBUG", DEBUG="1")["DEBUG"] is True


def test_https_site_gets_hsts_secure_cookies_and_redirect():
    values = read_settings(
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
        **production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"),
    )
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_plain_http_site_keeps_cookies_usable():
    values = read_settings(
        "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        **production_env(SITE_URL="http://127.0.0.1:8000"),
    )
    assert values == {"SECURE_HSTS_SECONDS": 0, "SESSION_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False}


def test_check_deploy_reports_nothing_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in PRODUCTION_CLEAN},
            "DJANGO_SETTINGS_MODULE": "quicktakes.settings",
            **production_env(),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_http_request_is_redirected_and_https_gets_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/learn/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/learn/"
    response = client.get("/learn/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# -- headers and the Content-Security-Policy ------------------------------------------------------


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/learn/", ARTICLE, "/no-such-page/"])
def test_reader_pages_send_security_headers(client, url):
    if url == ARTICLE:
        factory.make_article()
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    # Inline style attributes only (KaTeX's sizes and shifts); never inline script or <style>.
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_cached_pages_keep_their_security_headers(client):
    factory.make_article()
    client.get(ARTICLE)
    response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "hit"
    assert directives(response)["script-src"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_admin_policy_allows_inline_styles_but_not_inline_scripts(client):
    response = client.get(reverse("admin:login"))
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]


# -- admin login throttling (django-axes) ---------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_is_refused_after_repeated_failures(client, settings):
    get_user_model().objects.create_user("editor", password="the-right-password", is_staff=True)
    login = reverse("admin:login")
    for _ in range(settings.AXES_USER_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "editor", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post(login, {"username": "editor", "password": "wrong"}).status_code == 429
    # Locked out: even the right password is refused.
    response = client.post(login, {"username": "editor", "password": "the-right-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lock holds for that username from that address only.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    response = elsewhere.post(login, {"username": "editor", "password": "the-right-password"})
    assert response.status_code == 302
    assert "_auth_user_id" in elsewhere.session


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_refused(client, settings):
    # The attack of the security review (issue 13): a guess or two at each of many usernames.
    users = get_user_model().objects
    users.create_user("editor", password="the-right-password", is_staff=True)
    login = reverse("admin:login")
    codes = [
        client.post(login, {"username": f"user{n}", "password": f"Summer202{guess}"}).status_code
        for n in range(15)
        for guess in range(2)
    ]
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit < 30 and settings.AXES_USER_FAILURE_LIMIT > 2  # no single username reaches its own limit
    assert codes[: limit - 1] == [200] * (limit - 1) and set(codes[limit - 1 :]) == {429}  # as for one username
    # The address is refused for every username, even with the right password…
    assert client.post(login, {"username": "editor", "password": "the-right-password"}).status_code == 429
    assert "_auth_user_id" not in client.session
    # …and no other address is.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert elsewhere.post(login, {"username": "editor", "password": "the-right-password"}).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "127.0.0.1"),  # no proxy trusted: the header may be forged
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # nginx appended the client
        (2, "6.6.6.6, 198.51.100.1, 192.0.2.10", "198.51.100.1"),  # a CDN, then nginx
        (2, "", "127.0.0.1"),  # too few entries: fall back to the peer
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_page_renders_under_its_policy_without_violations(live_server, monkeypatch):
    """Chromium enforces the policy: nothing on an article (styles, math, code, JSON-LD) is refused."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    factory.make_article(body="Energy is $E = mc^2$.\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            refused = []
            page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => console.error("
                "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
            )
            response = page.goto(live_server.url + ARTICLE)
            assert response.status == 200
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("load")
            assert page.evaluate("document.styleSheets.length") >= 1  # the site's CSS loaded
            # An injected inline script is refused (the policy is live, not just sent).
            page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                " document.body.appendChild(s); }"
            )
            assert page.evaluate("window.injected") is None
            assert any("script-src" in text for text in refused)
            assert [text for text in refused if "script-src" not in text] == []
        finally:
            browser.close()
