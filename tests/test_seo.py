"""What search engines and link previews read from the pages."""
import datetime

import pytest
from django.test import override_settings

from qa.rendering.dates import format_moment, moment_to_django
from tests.factories import factory
from tests.html_checks import page_of

SITE = "https://quicktakes.example"


@pytest.fixture
def biology(db):
    return factory.make_subject("biology", "Biology")


@pytest.fixture
def article(client, biology):
    factory.make_question(
        biology,
        "how-do-cells-divide",
        question="How do cells divide?",
        description="Cells divide by mitosis and meiosis.",
        keywords="cells, mitosis, meiosis",
        date=datetime.date(2025, 1, 24),
    )
    with override_settings(SITE_URL=SITE):
        return page_of(client.get("/learn/biology/questions/how-do-cells-divide"))


# -- Article head ---------------------------------------------------------------------------------


def test_article_title_is_question_subject_and_site(article):
    assert article.title == "How do cells divide? | Biology | QuickTakes"


def test_an_editors_own_seo_title_replaces_the_generic_one(client, biology):
    factory.make_question(biology, "custom", question="How do cells divide?", seo_title="Cell division, explained")

    assert page_of(client.get("/learn/biology/questions/custom")).title == "Cell division, explained"


def test_description_and_keywords_come_from_the_seo_fields(article):
    assert article.meta["description"] == "Cells divide by mitosis and meiosis."
    assert article.meta["keywords"] == "cells, mitosis, meiosis"


def test_description_falls_back_to_the_start_of_the_answer(client, biology):
    factory.make_question(biology, "bare", description="", body="Mitosis makes **two** identical cells. " + "More. " * 60)

    description = page_of(client.get("/learn/biology/questions/bare")).meta["description"]

    assert description.startswith("Mitosis makes two identical cells.")
    assert description.endswith("…")
    assert len(description.split()) == 30


def test_canonical_is_absolute_on_site_url(article):
    url = f"{SITE}/learn/biology/questions/how-do-cells-divide"
    assert article.link("canonical") == url
    assert article.meta["og:url"] == url


def test_open_graph_and_twitter_tags(article):
    assert article.meta["og:type"] == "article"
    assert article.meta["og:title"] == "How do cells divide?"
    assert article.meta["og:description"] == "Cells divide by mitosis and meiosis."
    assert article.meta["og:site_name"] == "QuickTakes"
    assert article.meta["article:published_time"] == "2025-01-24"
    assert article.meta["article:section"] == "Biology"
    assert article.meta["twitter:card"] == "summary"
    assert article.meta["twitter:title"] == "How do cells divide?"


def test_indexable_article_has_no_robots_noindex(article):
    assert "robots" not in article.meta


def test_json_ld_article_matches_the_visible_page(article):
    data = article.structured("Article")

    assert data["@context"] == "https://schema.org"
    assert data["headline"] == article.h1[0]
    assert data["datePublished"] == "2025-01-24"
    assert data["dateModified"]
    assert data["articleSection"] == "Biology"
    assert data["author"]["name"] == "QuickTakes"
    assert data["mainEntityOfPage"] == article.link("canonical")
    assert not any(d.get("@type") == "QAPage" for d in article.json_ld)


def test_json_ld_breadcrumb_list(article):
    items = article.structured("BreadcrumbList")["itemListElement"]

    assert [(i["position"], i["name"], i["item"]) for i in items] == [
        (1, "Learn", f"{SITE}/learn/"),
        (2, "Biology", f"{SITE}/learn/biology/"),
        (3, "How do cells divide?", f"{SITE}/learn/biology/questions/how-do-cells-divide"),
    ]


def test_json_ld_cannot_be_broken_out_of(client, biology):
    hostile = "Does </script><script>alert(1)</script> <!-- end & stop?"
    factory.make_question(biology, "hostile", question=hostile, description=hostile)

    response = client.get("/learn/biology/questions/hostile")
    html = response.content.decode()

    assert "<script>alert(1)" not in html
    assert page_of(response).structured("Article")["headline"] == hostile


# -- noindex --------------------------------------------------------------------------------------


def test_no_index_article_asks_search_engines_not_to_index(client, biology):
    factory.make_question(biology, "private-matter", no_index=True)

    page = page_of(client.get("/learn/biology/questions/private-matter"))

    assert page.meta["robots"] == "noindex, follow"


def test_every_page_of_an_unlisted_subject_is_noindex(client, db):
    unlisted = factory.make_subject("campus-news", is_listed=False)
    for i in range(25):
        factory.make_question(unlisted, f"news-{i}")

    for url in ["/learn/campus-news/", "/learn/campus-news/?page=2", "/learn/campus-news/questions/news-3"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert page_of(response).meta["robots"] == "noindex, follow", url


# -- Listing pages -------------------------------------------------------------------------------


def test_subject_pages_have_own_title_and_canonical(client, biology):
    for i in range(25):
        factory.make_question(biology, f"q-{i}")

    with override_settings(SITE_URL=SITE):
        first = page_of(client.get("/learn/biology/"))
        second = page_of(client.get("/learn/biology/?page=2"))

    assert first.title == "Biology | QuickTakes"
    assert first.link("canonical") == f"{SITE}/learn/biology/"
    assert second.title == "Biology (page 2) | QuickTakes"
    assert second.link("canonical") == f"{SITE}/learn/biology/?page=2"
    assert "robots" not in first.meta
    assert [i["name"] for i in first.structured("BreadcrumbList")["itemListElement"]] == ["Learn", "Biology"]


def test_learn_page_head(client, biology):
    factory.make_question(biology, "a")

    with override_settings(SITE_URL=SITE):
        page = page_of(client.get("/learn/"))

    assert page.title.endswith("| QuickTakes")
    assert page.link("canonical") == f"{SITE}/learn/"
    assert page.link("alternate") == "/learn/feed.atom"


# -- Dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "django", "shown"),
    [
        ("MMM DD, YYYY", "M d, Y", "Jan 04, 2025"),
        ("MMMM D, YYYY", "F j, Y", "January 4, 2025"),
        ("Do MMMM YYYY", "jS F Y", "4th January 2025"),
        ("DD/MM/YY", "d/m/y", "04/01/25"),
        ("YYYY-MM-DD", "Y-m-d", "2025-01-04"),
        ("dddd, MMM D", "l, M j", "Saturday, Jan 4"),
        ("[Week of] MMM D", r"\W\e\e\k \o\f M j", "Week of Jan 4"),
    ],
)
def test_moment_formats_translate_to_django_formats(moment, django, shown):
    assert moment_to_django(moment) == django
    assert format_moment(datetime.date(2025, 1, 4), moment) == shown
