"""Every real sample article (../shared/corpus/learn) renders correctly at its declared URL.

The corpus is imported once for the module and every page fetched once; the tests then check
the collected pages, each reporting every article that fails its check.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from qa.imports.seedfile import Seed, parse_seed
from qa.paths import ARTICLE_PATH
from tests.html_checks import Page, currency_amounts, latex_leaks, missing_amounts, unsafe_markup, visible_text

# django_db: pytest-django only creates the test database when a collected test asks for it.
pytestmark = [pytest.mark.corpus, pytest.mark.django_db]

SHOWN = 20  # failures listed per check


@dataclass
class Rendered:
    path: Path
    seed: Seed
    status: int
    page: Page | None = None
    error: str = ""
    related: list[str] = field(default_factory=list)


def related_hrefs(page: Page) -> list[str]:
    return page.hrefs("card__link")


@pytest.fixture(scope="module")
def corpus_pages(corpus_dir, django_db_setup, django_db_blocker):
    files = sorted((corpus_dir / "learn").rglob("*.md"))
    with django_db_blocker.unblock(), transaction.atomic():
        # One import for the module, inside a transaction rolled back at the end: the tests' own
        # transactions nest in it, and no other module ever sees the corpus.
        call_command(
            "import_seeds",
            str(corpus_dir / "learn"),
            "--subjects", str(corpus_dir / "subjects.yaml"),
            "--redirects", str(corpus_dir / "legacy-redirects.csv"),
            "--quiet",
            verbosity=0,
        )
        cache.clear()
        client = Client()
        pages = []
        for path in files:
            seed = parse_seed(path.read_bytes())
            response = client.get(seed.url)
            rendered = Rendered(path, seed, response.status_code)
            if response.status_code == 200:
                try:
                    rendered.page = Page(response.content.decode())
                    rendered.related = related_hrefs(rendered.page)
                except ValueError as exc:  # JSON-LD that does not parse
                    rendered.error = f"{type(exc).__name__}: {exc}"
            pages.append(rendered)
        statuses = {r.seed.url: r.status for r in pages}
        for href in {href for r in pages for href in r.related} - statuses.keys():
            statuses[href] = client.get(href).status_code
        yield pages, statuses
        transaction.set_rollback(True)
    cache.clear()


def report(failures):
    head = "\n".join(failures[:SHOWN])
    return f"{len(failures)} article(s) failed:\n{head}"


def each_page(corpus_pages):
    pages, _ = corpus_pages
    assert len(pages) > 2500
    return [r for r in pages if r.page is not None]


def test_every_article_answers_200_with_parsable_json_ld(corpus_pages):
    pages, _ = corpus_pages
    failures = [f"{r.seed.url}: {r.status} {r.error}" for r in pages if r.status != 200 or r.error]
    assert not failures, report(failures)


def test_every_article_has_one_h1_with_its_question(corpus_pages):
    failures = [
        f"{r.seed.url}: h1 {r.page.h1!r}"
        for r in each_page(corpus_pages)
        if r.page.h1 != [" ".join(r.seed.question.split())]
    ]
    assert not failures, report(failures)


def test_every_canonical_is_site_url_plus_declared_url(corpus_pages):
    failures = [
        f"{r.seed.url}: canonical {r.page.link('canonical')}"
        for r in each_page(corpus_pages)
        if r.page.link("canonical") != settings.SITE_URL + r.seed.url
    ]
    assert not failures, report(failures)


def test_json_ld_describes_the_article(corpus_pages):
    failures = []
    for r in each_page(corpus_pages):
        types = [d.get("@type") for d in r.page.json_ld]
        if types != ["Article", "BreadcrumbList"] or r.page.structured("Article")["headline"] != r.page.h1[0]:
            failures.append(f"{r.seed.url}: JSON-LD types {types}")
    assert not failures, report(failures)


def test_every_related_link_shown_answers_200(corpus_pages):
    _, statuses = corpus_pages
    failures = [
        f"{r.seed.url} → {href}: {statuses[href]}"
        for r in each_page(corpus_pages)
        for href in r.related
        if statuses[href] != 200
    ]
    assert not failures, report(failures)


def expected_related(seed: Seed, subjects_of: dict[str, set[str]]) -> list[str]:
    """The declared links that have a live target: at the declared subject, else at the one
    other subject holding the slug. Never the article itself, never twice."""
    expected = []
    for link in seed.related:
        subject, slug = ARTICLE_PATH.match(link.url).groups()
        homes = subjects_of.get(slug, set()) - ({seed.subject_slug} if slug == seed.slug else set())
        home = subject if subject in homes else next(iter(homes)) if len(homes) == 1 else None
        url = f"/learn/{home}/questions/{slug}"
        if home and url not in expected:
            expected.append(url)
    return expected


def test_related_links_with_a_live_target_are_all_shown(corpus_pages):
    pages, _ = corpus_pages
    subjects_of = defaultdict(set)
    for r in pages:
        subjects_of[r.seed.slug].add(r.seed.subject_slug)
    failures = []
    for r in each_page(corpus_pages):
        expected = expected_related(r.seed, subjects_of)
        # The declared links first; suggestions (qa.suggestions) may follow, five cards in all.
        if r.related[: len(expected)] != expected or len(r.related) > 5:
            failures.append(f"{r.seed.url}: shown {r.related}, expected {expected} first")
    assert not failures, report(failures)
    assert sum(len(r.related) for r in pages) > 100  # the sample does link within itself


def test_no_latex_or_math_delimiters_leak_into_visible_text(corpus_pages):
    failures = []
    for r in each_page(corpus_pages):
        leaks = latex_leaks(visible_text(r.page.html))
        if leaks:
            failures.append(f"{r.seed.url}: {leaks[:3]}")
    assert not failures, report(failures)


def test_every_currency_amount_of_the_source_is_shown(corpus_pages):
    failures = []
    for r in each_page(corpus_pages):
        missing = missing_amounts(currency_amounts(r.seed.answer), visible_text(r.page.html))
        if missing:
            failures.append(f"{r.seed.url}: missing {missing[:3]}")
    assert not failures, report(failures)


def test_no_page_carries_runnable_markup(corpus_pages):
    failures = []
    for r in each_page(corpus_pages):
        # The page's own <meta>, <link>, search <form>, JSON-LD and same-origin static scripts
        # (KaTeX's copy-tex) are expected; nothing else.
        unsafe = unsafe_markup(r.page.html, allowed={"meta", "link", "form", "script"})
        own_scripts = len(re.findall(r'<script src="/static/[^"]+" defer></script>', r.page.html))
        if unsafe or r.page.html.count("<script") != len(r.page.json_ld) + own_scripts:
            failures.append(f"{r.seed.url}: {unsafe[:3]}")
    assert not failures, report(failures)
