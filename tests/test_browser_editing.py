"""Two editors on one article in Debian's Chromium: each sees the other (the notice and its ping),
the second is told when the first saved, and the second's stale save is refused with the diff.

Screenshots go to tests/artifacts/ (gitignored): editing-notice.png, editing-refused.png.
"""
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from qa.admin import presence
from qa.models import Question
from tests.conftest import requires_chromium
from tests.factories import PASSWORD
from tests.html_checks import watch_errors

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def serial(live_server, monkeypatch):
    """One request at a time, and the test's own queries between them.

    On SQLite the live server's threads share the test's one in-memory connection (pytest-django,
    like Django's LiveServerThread), so two browsers pinging while the other saves would
    interleave transactions on it. A real server has a connection per worker.
    """
    lock = threading.Lock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def one_at_a_time(environ, start_response):
        with lock:
            return app(environ, start_response)

    monkeypatch.setattr(httpd, "application", one_at_a_time)
    return lock


@pytest.fixture
def site(fixture_site, serial, monkeypatch):
    monkeypatch.setattr(presence, "PING_SECONDS", 1)  # the live server runs in this process
    for name in ("ana", "ben"):
        User.objects.create_superuser(name, f"{name}@example.com", PASSWORD, first_name=name.title())
    return fixture_site


@pytest.fixture
def open_as(site, browser):
    """``open_as("ana")``: a browser of her own (a context: its own cookies), logged in."""
    contexts = []

    def open_as(username):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        contexts.append(context)
        page = watch_errors(context.new_page())
        page.goto(f"{site}/admin/login/?next=/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_the_second_editor_sees_the_first_then_is_told_of_her_save_and_cannot_overwrite_it(site, open_as, serial):
    question = Question.objects.at_path("mathematics", "what-is-the-product-rule-for-derivatives").get()
    url = f"{site}/admin/qa/question/{question.pk}/change/"
    ana, ben = open_as("ana"), open_as("ben")
    ana.goto(url)
    ben.goto(url)
    # Rendered with the page, then kept by the ping; Ana's page learns of Ben by its ping.
    ben.locator("#qa-editing li", has_text="Ana is also editing this article (since").wait_for()
    ana.locator("#qa-editing li", has_text="Ben is also editing this article (since").wait_for(timeout=10_000)

    original = ana.locator("#id_answer-0-body").input_value()
    anas = original.replace("A common mistake", "The classic mistake") + "\n\nAna's closing line."
    ana.locator("#id_answer-0-body").fill(anas)
    ana.click("input[name=_continue]")
    ana.wait_for_selector(".messagelist .success")

    notice = ben.locator("#qa-editing li.qa-editing--saved")
    notice.wait_for(timeout=10_000)
    assert notice.inner_text() == "Ana saved this article moments ago — reload to see the changes."
    ARTIFACTS.mkdir(exist_ok=True)
    ben.screenshot(path=str(ARTIFACTS / "editing-notice.png"))

    # Ben saves what he had loaded: refused, with Ana's change as a diff and his text kept.
    bens = original.replace("### Example", "### A worked example")
    ben.locator("#id_answer-0-body").fill(bens)
    ben.click("input[name=_continue]")
    ben.locator(".errorlist.nonfield", has_text="Ana saved this article on").wait_for()
    assert ben.locator(".qa-conflict .qa-diff__line--changed ins", has_text="classic").count() == 1
    assert ben.locator(".qa-conflict ins", has_text="Ana's closing line.").count() == 1
    assert ben.locator("#id_answer-0-body").input_value() == bens
    with serial:
        question.answer.refresh_from_db()
    assert question.answer.body.replace("\r\n", "\n") == anas  # a browser sends CRLF
    ben.screenshot(path=str(ARTIFACTS / "editing-refused.png"))

    # Having seen it, he saves again: that goes through.
    ben.click("input[name=_continue]")
    ben.wait_for_selector(".messagelist .success")
    with serial:
        question.answer.refresh_from_db()
    assert question.answer.body.replace("\r\n", "\n") == bens
    assert ana.errors == [] and ben.errors == []
