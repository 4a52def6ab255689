"""The article page's study tools in Chromium: the table of contents, dark mode and print.

Colours are read from the computed styles and judged by WCAG contrast, so "legible" means the
same here as in an accessibility audit: 4.5 for text, 3 for large text and rules.
"""
import re

import pytest

from tests.conftest import requires_chromium

pytestmark = [pytest.mark.browser, requires_chromium]

DERIVATIVE = "/learn/mathematics/questions/what-does-a-derivative-tell-you-about-a-function"
CODE = "/learn/computer-science/questions/what-is-big-o-notation"  # a table, code and display math
DESKTOP = {"width": 1280, "height": 900}

# The colour a reader sees behind an element: the first opaque background up the tree.
STYLES = """(selector) => {
    const el = document.querySelector(selector);
    let bg = el, colour;
    while (bg && (colour = getComputedStyle(bg).backgroundColor).endsWith(', 0)')) bg = bg.parentElement;
    return {color: getComputedStyle(el).color, background: bg ? colour : 'rgb(255, 255, 255)',
            display: getComputedStyle(el).display};
}"""


def luminance(css_colour):
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3]]
    r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(styles):
    lighter, darker = sorted((luminance(styles["color"]), luminance(styles["background"])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def open_article(browser, site, path, scheme="light", media="screen"):
    page = browser.new_page(viewport=DESKTOP, color_scheme=scheme)
    page.emulate_media(media=media)
    assert page.goto(site + path, wait_until="load").status == 200
    return page


def test_the_table_of_contents_links_every_section_heading(fixture_site, browser):
    page = open_article(browser, fixture_site, DERIVATIVE)
    toc = page.locator("nav.toc")
    assert toc.get_attribute("aria-labelledby") or toc.get_attribute("aria-label")
    entries = page.evaluate("[...document.querySelectorAll('nav.toc a')].map(a => [a.textContent, a.hash])")
    headings = page.evaluate("[...document.querySelectorAll('.answer h2, .answer h3')].map(h => [h.textContent, h.id])")
    assert [text for text, _ in entries] == [text.rstrip(" #").strip() for text, _ in headings]
    assert [hash_ for _, hash_ in entries] == [f"#{id_}" for _, id_ in headings]
    # It comes before the answer's text, and following an entry brings its heading to the top.
    assert page.evaluate("document.querySelector('nav.toc').getBoundingClientRect().top "
                         "< document.querySelector('.answer p').getBoundingClientRect().top")
    in_view = f"(r => r.top >= 0 && r.bottom <= innerHeight)(document.getElementById('{entries[-1][1][1:]}').getBoundingClientRect())"
    assert not page.evaluate(in_view)
    page.locator("nav.toc a").last.click()
    assert page.evaluate(in_view) and page.url.endswith(entries[-1][1])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_math_tables_and_code_are_legible_in_both_schemes(fixture_site, browser, scheme):
    page = open_article(browser, fixture_site, CODE, scheme=scheme)
    page_background = luminance(page.evaluate(STYLES, "body")["background"])
    assert (page_background < 0.05) if scheme == "dark" else (page_background > 0.8)
    for selector, minimum in (
        (".answer > p", 4.5),
        (".answer .katex", 4.5),  # math takes the text's colour
        (".answer th", 4.5),
        (".answer td", 4.5),
        (".answer pre", 4.5),
        (".answer .highlight .k, .answer .highlight .kn, .answer .highlight .nf", 4.5),  # a highlighted token
        ("nav.toc a", 4.5),
        (".answer > p a, .answer li a", 4.5),
        (".article__subject", 4.5),
    ):
        if page.locator(selector).count():
            styles = page.evaluate(STYLES, selector)
            assert contrast(styles) >= minimum, (scheme, selector, styles)


def test_dark_code_takes_the_dark_palette_not_the_light_one(fixture_site, browser):
    colours = {}
    for scheme in ("light", "dark"):
        page = open_article(browser, fixture_site, CODE, scheme=scheme)
        colours[scheme] = page.evaluate(STYLES, ".answer pre")
    assert colours["light"]["background"] != colours["dark"]["background"]
    assert luminance(colours["dark"]["background"]) < 0.05 < luminance(colours["dark"]["color"])


def test_print_shows_the_question_and_answer_only_black_on_white(fixture_site, browser):
    page = open_article(browser, fixture_site, DERIVATIVE, scheme="dark", media="print")  # dark screens still print on white
    hidden = page.evaluate("""['.site-header', '.site-footer', '.breadcrumb', '.related', '.back-link', 'nav.toc',
        '.answer .header-anchor'].filter(s => document.querySelector(s))
        .map(s => [s, getComputedStyle(document.querySelector(s)).display])""")
    assert hidden and all(display == "none" for _, display in hidden), hidden
    for selector in ("h1", ".answer > p", ".answer .katex"):
        styles = page.evaluate(STYLES, selector)
        assert luminance(styles["color"]) < 0.01 and luminance(styles["background"]) > 0.95, (selector, styles)
    assert page.locator(".answer").is_visible() and page.locator("h1").is_visible()
