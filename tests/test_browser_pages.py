"""Real pages in Debian's Chromium: math takes up real space, nothing errors, nothing is fetched
from another host. Screenshots go to tests/artifacts/ (gitignored) for a person to look at."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import requires_chromium

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARTICLE = "/learn/computer-science/questions/what-is-big-o-notation"  # display math, a table, code
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
PAGES = {
    "article": ARTICLE,
    "math": "/learn/mathematics/questions/how-do-you-solve-a-quadratic-equation-with-the-quadratic-formula",
    "subject": "/learn/mathematics/",
    "learn": "/learn/",
}

pytestmark = [
    pytest.mark.browser,
    requires_chromium,
]


def open_page(browser, url, viewport):
    """Open url; return the page and lists that collect console errors and off-site requests."""
    page = browser.new_page(viewport=viewport)
    errors, foreign = [], []
    host = urlsplit(url).netloc
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: foreign.append(req.url) if urlsplit(req.url).netloc not in ("", host) else None)
    response = page.goto(url, wait_until="load")
    assert response.status == 200, url
    return page, errors, foreign


def test_article_math_has_real_size_and_page_is_clean(fixture_site, browser):
    page, errors, foreign = open_page(browser, fixture_site + ARTICLE, VIEWPORTS["desktop"])

    maths = page.locator(".answer math")
    assert maths.count() >= 5
    for i in range(maths.count()):
        box = maths.nth(i).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, f"math element {i} has no size: {box}"
    display = page.locator('.answer math[display="block"]').first.bounding_box()
    assert display["height"] > 16
    assert page.locator(".answer table").count() == 1
    assert page.locator(".answer pre").count() >= 1
    assert page.locator("h1").count() == 1
    assert errors == []
    assert foreign == []


def test_answer_never_makes_a_phone_page_scroll_sideways(fixture_site, browser):
    page, _, _ = open_page(browser, fixture_site + ARTICLE, VIEWPORTS["phone"])

    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_screenshots_of_the_reader_pages(fixture_site, browser, viewport):
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in PAGES.items():
        page, errors, foreign = open_page(browser, fixture_site + path, VIEWPORTS[viewport])
        page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport}.png"), full_page=True)
        assert errors == [], (name, errors)
        assert foreign == [], (name, foreign)
