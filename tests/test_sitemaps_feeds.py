"""robots.txt, the sitemap index and its per-subject sitemaps, Atom feeds."""
import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from qa.models import Question
from qa.serving import changes, page_cache
from qa.sitemaps import SubjectQuestionsSitemap
from tests.factories import factory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]

SITE = "https://quicktakes.example"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _site_url():
    cache.clear()  # the sitemap views are cached whole
    with override_settings(SITE_URL=SITE):
        yield


@pytest.fixture
def content():
    biology = factory.make_subject("biology", "Biology", position=1)
    chemistry = factory.make_subject("chemistry", "Chemistry", position=2)
    unlisted = factory.make_subject("campus-news", "Campus News", is_listed=False, position=0)
    factory.make_subject("empty", position=3)
    factory.make_question(biology, "cells", question="How do cells divide?", date=datetime.date(2025, 1, 2))
    factory.make_question(
        biology, "genes", question="What is a gene?", date=datetime.date(2025, 1, 3), description="How cells divide, in short."
    )
    factory.make_question(biology, "private", no_index=True)
    factory.make_question(biology, "draft", status=Question.Status.DRAFT)
    factory.make_question(biology, "later", publish_at=timezone.now() + datetime.timedelta(days=2))
    factory.make_question(chemistry, "atoms", question="What is an atom?", date=datetime.date(2025, 1, 1))
    factory.make_question(unlisted, "party", date=datetime.date(2025, 2, 1))
    return biology


def xml_of(response):
    return ET.fromstring(response.content)


def test_robots_txt_names_the_sitemap_index(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert f"Sitemap: {SITE}/sitemap.xml" in response.content.decode().splitlines()
    assert "User-agent: *" in response.content.decode()


def test_sitemap_index_lists_pages_and_each_listed_subject(client, content):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    locations = [e.findtext(f"{SM}loc") for e in xml_of(response).iter(f"{SM}sitemap")]
    assert locations == [
        f"{SITE}/sitemap-pages.xml",
        f"{SITE}/sitemaps/biology.xml",
        f"{SITE}/sitemaps/chemistry.xml",
    ]
    assert all(e.findtext(f"{SM}lastmod") for e in xml_of(response).iter(f"{SM}sitemap"))


def test_subject_sitemap_lists_only_indexable_articles_with_lastmod(client, content):
    response = client.get("/sitemaps/biology.xml")

    assert response.status_code == 200
    urls = {e.findtext(f"{SM}loc"): e.findtext(f"{SM}lastmod") for e in xml_of(response).iter(f"{SM}url")}
    assert set(urls) == {f"{SITE}/learn/biology/questions/cells", f"{SITE}/learn/biology/questions/genes"}
    cells = Question.objects.get(slug="cells")
    assert urls[f"{SITE}/learn/biology/questions/cells"] == cells.updated_at.date().isoformat()


def test_lastmod_moves_only_for_the_article_that_changed(client, content):
    before = client.get("/sitemaps/biology.xml").content
    genes = Question.objects.get(slug="genes")
    Question.objects.filter(pk=genes.pk).update(content_changed_at=genes.content_changed_at + datetime.timedelta(days=3))
    page_cache.invalidate_pages()  # queryset.update() sends no signal

    after = client.get("/sitemaps/biology.xml")

    old = {e.findtext(f"{SM}loc"): e.findtext(f"{SM}lastmod") for e in ET.fromstring(before).iter(f"{SM}url")}
    new = {e.findtext(f"{SM}loc"): e.findtext(f"{SM}lastmod") for e in xml_of(after).iter(f"{SM}url")}
    assert new[f"{SITE}/learn/biology/questions/cells"] == old[f"{SITE}/learn/biology/questions/cells"]
    assert new[f"{SITE}/learn/biology/questions/genes"] > old[f"{SITE}/learn/biology/questions/genes"]


def test_unlisted_and_unknown_subjects_have_no_sitemap(client, content):
    assert client.get("/sitemaps/campus-news.xml").status_code == 404
    assert client.get("/sitemaps/no-such-subject.xml").status_code == 404


def test_pages_sitemap_lists_learn_and_subjects_with_indexable_articles(client, content):
    locations = [e.findtext(f"{SM}loc") for e in xml_of(client.get("/sitemap-pages.xml")).iter(f"{SM}url")]

    assert locations == [f"{SITE}/learn/", f"{SITE}/learn/biology/", f"{SITE}/learn/chemistry/"]


def test_big_subject_sitemap_is_split_into_pages(client, content, monkeypatch):
    monkeypatch.setattr(SubjectQuestionsSitemap, "limit", 1)

    index = [e.findtext(f"{SM}loc") for e in xml_of(client.get("/sitemap.xml")).iter(f"{SM}sitemap")]
    second = client.get("/sitemaps/biology.xml?p=2")

    assert f"{SITE}/sitemaps/biology.xml" in index
    assert f"{SITE}/sitemaps/biology.xml?p=2" in index
    assert f"{SITE}/sitemaps/biology.xml?p=3" not in index
    assert len(list(xml_of(second).iter(f"{SM}url"))) == 1
    assert client.get("/sitemaps/biology.xml?p=3").status_code == 404


def test_sitemaps_are_served_from_the_page_cache_until_content_changes(client, content, django_assert_num_queries):
    changes.current()  # the content version is read once a second, not per request
    client.get("/sitemap.xml")
    first = client.get("/sitemaps/biology.xml")

    with django_assert_num_queries(0):
        assert client.get("/sitemap.xml")["X-Page-Cache"] == "hit"
        assert client.get("/sitemaps/biology.xml")["X-Page-Cache"] == "hit"

    factory.make_question(content, "new-article")
    changes.forget()
    after = client.get("/sitemaps/biology.xml")

    assert b"/learn/biology/questions/new-article" not in first.content
    assert b"/learn/biology/questions/new-article" in after.content


# -- Feeds ----------------------------------------------------------------------------------------


def entries(response):
    feed = xml_of(response)
    return [(e.findtext(f"{ATOM}title"), e.find(f"{ATOM}link").get("href")) for e in feed.iter(f"{ATOM}entry")]


def test_site_feed_lists_newest_indexable_articles(client, content):
    response = client.get("/learn/feed.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert entries(response) == [
        ("What is a gene?", f"{SITE}/learn/biology/questions/genes"),
        ("How do cells divide?", f"{SITE}/learn/biology/questions/cells"),
        ("What is an atom?", f"{SITE}/learn/chemistry/questions/atoms"),
    ]
    feed = xml_of(response)
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{SITE}/learn/feed.atom"
    entry = next(feed.iter(f"{ATOM}entry"))
    assert entry.findtext(f"{ATOM}summary") == "How cells divide, in short."
    assert entry.find(f"{ATOM}category").get("term") == "Biology"
    assert entry.findtext(f"{ATOM}published").startswith("2025-01-03")


def test_subject_feed_lists_that_subject_only(client, content):
    response = client.get("/learn/biology/feed.atom")

    assert response.status_code == 200
    assert [link for _, link in entries(response)] == [
        f"{SITE}/learn/biology/questions/genes",
        f"{SITE}/learn/biology/questions/cells",
    ]


def test_unlisted_or_unknown_subject_has_no_feed(client, content):
    assert client.get("/learn/campus-news/feed.atom").status_code == 404
    assert client.get("/learn/no-such-subject/feed.atom").status_code == 404


def test_feeds_hold_the_newest_50(client, content):
    for i in range(55):
        factory.make_question(content, f"bulk-{i}", date=datetime.date(2024, 1, 1) + datetime.timedelta(days=i))

    assert len(entries(client.get("/learn/feed.atom"))) == 50
    assert len(entries(client.get("/learn/biology/feed.atom"))) == 50


def reader_view(summary) -> str:
    """What a feed reader shows of an Atom summary: markup parsed when the type is html."""
    if summary.get("type", "text") == "text":
        return "text: " + summary.text
    return "html: " + ET.tostring(ET.fromstring(f"<div>{summary.text}</div>"), encoding="unicode")


@pytest.mark.parametrize("path", ["/learn/feed.atom", "/learn/biology/feed.atom"])
def test_markup_in_a_description_reaches_feed_readers_as_text(client, path):
    # The attack of the security review (issue 13): an SEO description a reader would run.
    attack = "<img src=x onerror=alert(1)> and <b>bold</b>"
    factory.make_question(factory.make_subject("biology"), "genes", description=attack)
    summary = next(xml_of(client.get(path)).iter(f"{ATOM}entry")).find(f"{ATOM}summary")
    assert reader_view(summary) == f"text: {attack}"


def test_the_fallback_from_the_answer_is_text_with_its_entities_decoded(client):
    factory.make_question(factory.make_subject("biology"), "ineq", body="If a < b & b < c then a < c.")
    summary = next(xml_of(client.get("/learn/feed.atom")).iter(f"{ATOM}entry")).find(f"{ATOM}summary")
    assert reader_view(summary) == "text: If a < b & b < c then a < c."
    page = client.get("/learn/biology/questions/ineq").content.decode()
    assert '<meta name="description" content="If a &lt; b &amp; b &lt; c then a &lt; c.">' in page
    assert "&amp;lt;" not in page
