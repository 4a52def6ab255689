"""The answer editor in Debian's Chromium: log in, edit, watch the preview, save, see the page.

Screenshots of the editor go to tests/artifacts/ (gitignored) for a person to look at.
"""
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from qa.models import Question
from qa.rendering.markdown import render_markdown
from tests.conftest import requires_chromium
from tests.factories import PASSWORD
from tests.html_checks import watch_errors

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARTICLE = "/learn/mathematics/questions/what-is-the-product-rule-for-derivatives"
FORMULA = r"$$\frac{a}{b}$$"
PIPELINE_HAS_MATH = "<math" in render_markdown(FORMULA)

pytestmark = [
    pytest.mark.browser,
    requires_chromium,
]


@pytest.fixture
def site(fixture_site):
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    return fixture_site


@pytest.fixture
def page(site, browser):
    page = watch_errors(browser.new_page(viewport={"width": 1440, "height": 1000}))
    # Failed requests are checked by address below; browsers ask for /favicon.ico on their own.
    page.on(
        "response",
        lambda response: response.status >= 400
        and not response.url.endswith("/favicon.ico")
        and page.errors.append(f"{response.status} {response.url}"),
    )
    # Log in through the login form, as an editor does.
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def edit_article(page, site, markdown, marker):
    """Open the article in the editor, replace its answer, wait for the preview to show ``marker``."""
    question = Question.objects.at_path("mathematics", "what-is-the-product-rule-for-derivatives").get()
    page.goto(f"{site}/admin/qa/question/{question.pk}/change/")
    editor = page.locator("#id_answer-0-body")
    editor.fill(markdown)
    preview = page.frame_locator("#answer-group .inline-related:not(.empty-form) iframe.qa-editor__preview")
    preview.get_by_text(marker).wait_for(timeout=15_000)
    # The old answer (it explains the rule in Leibniz notation) is gone from the preview.
    assert preview.get_by_text("Leibniz").count() == 0
    return question, preview


def save(page):
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")


def test_the_editor_previews_with_the_page_styles_and_saving_updates_the_page(page, site):
    markdown = "The **product rule** for two functions.\n\n| f | g |\n|---|---|\n| x | y |"
    question, preview = edit_article(page, site, markdown, "for two functions")
    preview.locator("table td", has_text="y").wait_for()
    # The preview frame carries the reader page's stylesheet: the answer is styled as on the page.
    color = preview.locator(".answer").evaluate("element => getComputedStyle(element).color")
    assert color != "rgb(0, 0, 0)", "site.css did not style the preview"
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#answer-group .inline-related:not(.empty-form)").screenshot(path=str(ARTIFACTS / "admin-editor.png"))
    page.screenshot(path=str(ARTIFACTS / "admin-change-form.png"), full_page=True)
    save(page)
    page.goto(site + ARTICLE)
    assert page.locator(".answer strong", has_text="product rule").is_visible()
    assert page.get_by_text("for two functions").is_visible()
    assert page.locator(".answer table td", has_text="y").is_visible()
    assert page.errors == []


@pytest.mark.skipif(not PIPELINE_HAS_MATH, reason="qa.rendering.markdown.render_markdown does not render math yet")
def test_a_formula_shows_as_math_in_the_preview_and_on_the_page(page, site):
    _, preview = edit_article(page, site, f"The **product rule** uses a fraction:\n\n{FORMULA}\n", "uses a fraction")
    preview.locator("math mfrac").first.wait_for(timeout=15_000)
    assert preview.locator("math").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#answer-group .inline-related:not(.empty-form)").screenshot(path=str(ARTIFACTS / "admin-editor-math.png"))
    save(page)
    page.goto(site + ARTICLE)
    assert page.get_by_text("uses a fraction").is_visible()
    math = page.locator(".answer math")
    assert math.count() == 1
    assert re.search(r"<mfrac>", math.evaluate("element => element.outerHTML"))
    assert page.errors == []


def test_the_question_list_and_history_look_right(page, site):
    page.goto(f"{site}/admin/qa/question/?q=matrices")
    page.locator("#result_list .qa-status--live").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-list.png"))
    question = Question.objects.at_path("mathematics", "what-is-the-product-rule-for-derivatives").get()
    page.goto(f"{site}/admin/qa/question/{question.pk}/change/")
    page.locator("#id_slug").fill("the-product-rule")
    page.locator("#id_answer-0-body").fill("A **new** answer.")
    save(page)
    assert "now redirects here (301)" in page.locator(".messagelist").inner_text()
    page.goto(f"{site}/admin/qa/question/{question.pk}/history/")
    page.locator(".qa-diff ins", has_text="the-product-rule").wait_for()
    page.screenshot(path=str(ARTIFACTS / "admin-history.png"), full_page=True)
    assert page.errors == []


def test_hiding_a_suggested_related_article_from_the_article_form(page, site):
    from qa.models import SuggestedRelated

    question = SuggestedRelated.objects.filter(hidden=False).order_by("question_id", "rank").first().question
    page.goto(f"{site}/admin/qa/question/{question.pk}/change/")
    button = page.locator("fieldset.qa-suggestions button[name=hide]").first
    target = int(button.get_attribute("value"))
    button.click()  # posts the change form to the panel's view through formaction
    page.wait_for_selector(".messagelist .success")

    assert SuggestedRelated.objects.get(question=question, target_id=target).hidden
    assert page.locator(f"fieldset.qa-suggestions button[value='{target}']").count() == 0
    assert page.errors == []
