"""Reader pages from the cache: hits, invalidation on every write path, HTTP caching headers."""
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.redirects.models import Redirect
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.cache import get_max_age

from qa.models import SEO, ContentChange, ContentVersion, Question, RelatedArticle, Subject
from qa.serving import changes, page_cache
from tests.factories import ARTICLE, factory

pytestmark = pytest.mark.django_db

def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


# -- hits and misses ------------------------------------------------------------------------------


def test_second_request_is_a_cache_hit_without_queries(client):
    factory.make_article()
    first = client.get(ARTICLE)
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = client.get(ARTICLE)
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    assert second.content == first.content
    assert "<strong>mitosis</strong>" in second.content.decode()


def test_learn_and_subject_pages_are_cached(client):
    factory.make_article()
    for url in ("/learn/", "/learn/biology/"):
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url)["X-Page-Cache"] == "hit"


CACHED_PAGES = ["/learn/", "/learn/biology/", ARTICLE, "/learn/feed.atom", "/learn/biology/feed.atom",
                "/sitemap.xml", "/sitemap-pages.xml", "/sitemaps/biology.xml", "/robots.txt"]


def test_cache_busting_query_strings_neither_split_nor_grow_the_cache(client, monkeypatch):
    """The attack: ?cb=1, ?cb=2, … on every cached page, to fill the cache with copies."""
    factory.make_article()
    written = []
    store = page_cache.cache.set
    monkeypatch.setattr(page_cache.cache, "set", lambda key, *args, **kwargs: (written.append(key), store(key, *args, **kwargs)))
    for url in CACHED_PAGES:
        first = client.get(url)
        assert first.status_code == 200 and first["X-Page-Cache"] == "miss", url
        for n in range(20):
            busted = client.get(f"{url}?cb={n}&utm_source=newsletter")
            assert busted["X-Page-Cache"] == "hit", (url, n)
            assert busted.content == first.content
    assert len(written) == len(set(written)) == len(CACHED_PAGES)


def test_the_parameters_a_page_reads_still_key_it(client):
    factory.make_article()
    assert client.get("/learn/biology/?page=1")["X-Page-Cache"] == "miss"
    assert client.get("/learn/biology/?utm_source=x&page=1")["X-Page-Cache"] == "hit"
    assert client.get("/learn/biology/?page=2&page=1")["X-Page-Cache"] == "hit"  # the view reads the last
    assert client.get("/learn/biology/?page=2").status_code == 404  # another page, not the cached first one
    assert client.get("/sitemaps/biology.xml?p=1")["X-Page-Cache"] == "miss"


def test_caching_off_renders_every_request_but_keeps_http_headers(client, settings):
    settings.PAGE_CACHE = False
    factory.make_article()
    client.get(ARTICLE)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "miss"
    assert len(queries) > 0
    assert "public" in cache_control(response)
    assert response.has_header("ETag")


def test_not_found_is_never_cached(client):
    assert client.get(ARTICLE).status_code == 404
    factory.make_article()
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"


def test_a_broken_cache_only_makes_pages_slower(client, monkeypatch):
    class BrokenCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache server down")

        set = get

    monkeypatch.setattr(page_cache, "cache", BrokenCache())
    factory.make_article()
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert "<strong>mitosis</strong>" in response.content.decode()


# -- invalidation ---------------------------------------------------------------------------------


def test_saving_an_answer_shows_the_new_text_at_once(client):
    question = factory.make_article()
    client.get(ARTICLE)
    answer = question.answer
    answer.body = "Cells divide by **meiosis** too."
    answer.save()
    response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "miss"
    assert "<strong>meiosis</strong>" in response.content.decode()


def test_unpublishing_takes_the_page_down(client):
    question = factory.make_article()
    assert client.get(ARTICLE).status_code == 200
    question.status = Question.Status.UNPUBLISHED
    question.save()
    assert client.get(ARTICLE).status_code == 404


def test_publishing_a_draft_lists_it_on_its_subject_page(client):
    factory.make_article()
    draft = factory.make_article(slug="what-is-dna", status=Question.Status.DRAFT)
    assert "what-is-dna" not in client.get("/learn/biology/").content.decode()
    draft.status = Question.Status.PUBLISHED
    draft.save()
    assert "what-is-dna" in client.get("/learn/biology/").content.decode()


def test_renaming_a_subject_changes_the_learn_page(client):
    factory.make_article()
    client.get("/learn/")
    subject = Subject.objects.get(slug="biology")
    subject.title = "Life Sciences"
    subject.save()
    assert "Life Sciences" in client.get("/learn/").content.decode()


@pytest.mark.parametrize(
    "change",
    [
        lambda q: SEO.objects.filter(pk=q.pk).get().save(),
        lambda q: RelatedArticle.objects.create(question=q, position=1, target_url="/learn/biology/questions/x"),
        lambda q: RelatedArticle.objects.create(question=q, position=1, target_url="/x").delete(),
        lambda q: Redirect.objects.create(site_id=1, old_path="/learn/old/questions/x", new_path=q.path),
    ],
    ids=["seo-saved", "related-added", "related-deleted", "redirect-added"],
)
def test_every_content_model_bumps_the_version(change):
    question = factory.make_article()
    before = changes.current().seq
    change(question)
    assert changes.current().seq > before


def test_queryset_update_shows_after_invalidate_pages(client):
    factory.make_article()
    client.get(ARTICLE)
    # A queryset update sends no signal: the admin's bulk actions call invalidate_pages() after it.
    Question.objects.filter(slug="how-do-cells-divide").update(question="Why do cells divide?")
    assert "Why do cells divide?" not in client.get(ARTICLE).content.decode()
    page_cache.invalidate_pages()
    assert "Why do cells divide?" in client.get(ARTICLE).content.decode()


def test_import_shows_changed_articles(client, tmp_path):
    factory.write_seed(tmp_path, "biology", "how-do-cells-divide", answer="First **version**.")
    call_command("import_seeds", str(tmp_path), "--quiet", stdout=io.StringIO())
    assert "<strong>version</strong>" in client.get(ARTICLE).content.decode()
    assert client.get(ARTICLE)["X-Page-Cache"] == "hit"
    factory.write_seed(tmp_path, "biology", "how-do-cells-divide", answer="Second **edition**.")
    call_command("import_seeds", str(tmp_path), "--quiet", stdout=io.StringIO())
    assert "<strong>edition</strong>" in client.get(ARTICLE).content.decode()


def test_a_bump_in_another_process_is_seen_within_the_version_ttl(client, settings):
    factory.make_article()
    client.get(ARTICLE)
    # Another worker changes the article: its signals record the change in the database, not in
    # what this process knows.
    Question.objects.filter(slug="how-do-cells-divide").update(question="Changed elsewhere?")
    ContentVersion.objects.filter(pk=1).update(version=F("version") + 1)
    seq = ContentVersion.objects.get().version
    ContentChange.objects.update_or_create(name=f"path:{ARTICLE}", defaults={"seq": seq, "changed_at": timezone.now()})
    settings.PAGE_CACHE_VERSION_TTL = 60
    assert client.get(ARTICLE)["X-Page-Cache"] == "hit"  # still trusting the version it read
    settings.PAGE_CACHE_VERSION_TTL = 0  # as when the TTL has run out
    response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "miss"
    assert "Changed elsewhere?" in response.content.decode()


def test_a_scheduled_article_appears_when_its_time_comes(client, monkeypatch):
    factory.make_article()
    now = timezone.now()
    factory.make_article(slug="what-is-dna", publish_at=now + dt.timedelta(seconds=30))
    response = client.get("/learn/biology/")
    assert "what-is-dna" not in response.content.decode()
    # Nobody, browser or CDN, may keep the listing past the publication time.
    assert get_max_age(response) <= 30
    assert "s-maxage=300" not in cache_control(response)

    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(minutes=1))
    assert "what-is-dna" in client.get("/learn/biology/").content.decode()


# -- HTTP caching ---------------------------------------------------------------------------------


def test_public_pages_are_marked_for_shared_caches(client):
    factory.make_article()
    response = client.get(ARTICLE)
    assert {"public", "max-age=60", "s-maxage=300"} <= cache_control(response)
    assert "stale-while-revalidate=60" in cache_control(response)
    assert response.has_header("ETag")
    assert response.has_header("Last-Modified")
    assert not response.has_header("Vary")
    assert not response.cookies


@pytest.mark.parametrize("hit", [False, True], ids=["miss", "hit"])
def test_matching_etag_answers_304(client, hit):
    factory.make_article()
    etag = client.get(ARTICLE)["ETag"]
    if not hit:
        page_cache.invalidate_pages()
    response = client.get(ARTICLE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "public" in cache_control(response)


def test_if_modified_since_answers_304_until_content_changes(client):
    question = factory.make_article()
    last_modified = client.get(ARTICLE)["Last-Modified"]
    assert client.get(ARTICLE, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(ARTICLE, HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200
    question.question = "A new heading?"
    question.save()
    ContentChange.objects.update(changed_at=timezone.now() + dt.timedelta(seconds=2))  # past the 1 s resolution
    changes.forget()
    assert client.get(ARTICLE, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200


def test_stale_etag_gets_the_full_page(client):
    factory.make_article()
    response = client.get(ARTICLE, HTTP_IF_NONE_MATCH='"not-the-etag"')
    assert response.status_code == 200


def test_logged_in_users_get_private_pages_and_fill_no_cache(client):
    factory.make_article()
    user = get_user_model().objects.create_user("editor", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)
    assert not response.has_header("X-Page-Cache")
    client.logout()
    assert client.get(ARTICLE)["X-Page-Cache"] == "miss"


def test_drafts_are_neither_public_nor_cached(client):
    factory.make_article(status=Question.Status.DRAFT)
    response = client.get(ARTICLE)
    assert response.status_code == 404
    assert "public" not in cache_control(response)
    # the draft left nothing behind:
    assert client.get(ARTICLE).status_code == 404


def test_staff_preview_of_a_draft_is_private_and_never_cached(client):
    factory.make_article(status=Question.Status.DRAFT)
    editor = get_user_model().objects.create_user("editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_question"))
    client.force_login(editor)
    preview = client.get(ARTICLE)
    assert preview.status_code == 200
    assert {"private", "no-cache", "no-store"} <= cache_control(preview)
    assert "public" not in cache_control(preview)
    client.logout()
    assert client.get(ARTICLE).status_code == 404  # the draft did not leak into the cache


def test_a_view_that_sets_its_own_cache_policy_is_not_stored(settings):
    """A staff preview answers ``private, no-cache, no-store``: kept as it is, never stored."""
    factory.make_article()

    def preview(request):
        response = HttpResponse("draft preview")
        response["Cache-Control"] = "private, no-cache, no-store"
        return response

    middleware = page_cache.PageCacheMiddleware(preview)
    response = middleware(RequestFactory().get(ARTICLE))
    assert response["Cache-Control"] == "private, no-cache, no-store"
    assert not response.has_header("ETag")
    assert page_cache.cache.get(page_cache.page_key(RequestFactory().get(ARTICLE))) is None


def test_other_pages_are_not_cached(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "public" not in cache_control(response)
    assert not response.has_header("X-Page-Cache")


def test_pages_kept_in_the_process_spare_the_shared_cache_and_follow_the_version(client, settings, monkeypatch):
    settings.PAGE_CACHE_LOCAL_ENTRIES = 10
    question = factory.make_article()
    client.get(ARTICLE)

    class BrokenCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("no round trip expected")

        set = get

    monkeypatch.setattr(page_cache, "cache", BrokenCache())
    hit = client.get(ARTICLE)
    assert hit["X-Page-Cache"] == "hit"
    question.question = "A new heading?"
    question.save()
    response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "miss"
    assert "A new heading?" in response.content.decode()


def test_local_pages_keep_the_most_recently_used():
    pages = page_cache.LocalPages(size=2)
    for key in ("a", "b"):
        pages.set(key, page_cache.Entry(1, frozenset(), HttpResponse(key)))
    pages.get("a")
    pages.set("c", page_cache.Entry(1, frozenset(), HttpResponse("c")))
    assert pages.get("b") is None
    assert pages.get("a").response.content == b"a"
    assert pages.get("a").response is not pages.get("a").response  # every request gets its own response object


def test_sitemaps_are_cached_and_list_a_new_article_at_once(client):
    factory.make_article()
    assert client.get("/sitemaps/biology.xml")["X-Page-Cache"] == "miss"
    cached = client.get("/sitemaps/biology.xml")
    assert cached["X-Page-Cache"] == "hit"
    assert "public" in cache_control(cached)
    factory.make_article(slug="what-is-dna")
    assert "/learn/biology/questions/what-is-dna" in client.get("/sitemaps/biology.xml").content.decode()
