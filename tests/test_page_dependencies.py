"""A change makes stale exactly the cached pages that show it (qa.serving.changes), nothing else.

The site of these tests: biology holds A (the article edited), B (its related card names A), C and
D (unrelated); chemistry holds E (a card naming A across subjects) and F (unrelated). Every test
warms every page, makes one change, then asserts which pages render anew (and show the change)
and which are still cache hits.
"""
import datetime as dt
import io
import random
import subprocess
import sys
import time
import urllib.request

import pytest
from django.contrib.redirects.models import Redirect
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from qa import article_page
from qa.admin import editorial
from qa.models import Question, RenderedArticle
from qa.serving import changes
from tests.factories import factory
from tests.processes import ROOT, child_env, free_port, kill_group, manage_args

pytestmark = pytest.mark.django_db

A = "/learn/biology/questions/article-a"
B = "/learn/biology/questions/article-b"
C = "/learn/biology/questions/article-c"
D = "/learn/biology/questions/article-d"
E = "/learn/chemistry/questions/article-e"
F = "/learn/chemistry/questions/article-f"
ARTICLES = [A, B, C, D, E, F]
BIOLOGY = ["/learn/biology/", "/learn/biology/feed.atom", "/sitemaps/biology.xml"]
CHEMISTRY = ["/learn/chemistry/", "/learn/chemistry/feed.atom", "/sitemaps/chemistry.xml"]
CATALOGUE = ["/learn/", "/learn/feed.atom", "/sitemap.xml", "/sitemap-pages.xml"]
EVERY_PAGE = ARTICLES + BIOLOGY + CHEMISTRY + CATALOGUE + ["/robots.txt"]


@pytest.fixture
def site():
    biology = factory.make_subject("biology", "Biology")
    chemistry = factory.make_subject("chemistry", "Chemistry", position=1)
    articles = {
        A: factory.make_question(biology, "article-a", question="How do cells divide?", description="Cells divide."),
        B: factory.make_question(biology, "article-b", question="What is DNA?", related=[A, C]),
        C: factory.make_question(biology, "article-c", question="What is a gene?"),
        D: factory.make_question(biology, "article-d", question="What is a ribosome?", related=[C]),
        E: factory.make_question(chemistry, "article-e", question="What is an acid?", related=[A]),
        F: factory.make_question(chemistry, "article-f", question="What is a base?"),
    }
    return articles


def warm(client, pages=EVERY_PAGE):
    for path in pages:
        assert client.get(path).status_code == 200, path
    for path in pages:
        assert client.get(path)["X-Page-Cache"] == "hit", path


def cache_states(client, pages=EVERY_PAGE) -> dict[str, str]:
    return {path: client.get(path)["X-Page-Cache"] for path in pages}


def assert_stale_exactly(client, stale, pages=EVERY_PAGE):
    states = cache_states(client, pages)
    assert {path for path, state in states.items() if state == "miss"} == set(stale)


def text(client, path) -> str:
    return client.get(path).content.decode()


def test_an_edited_article_reaches_its_page_its_cards_its_listing_and_the_feeds_only(client, site):
    warm(client)
    question = site[A]
    question.question = "How do cells really divide?"
    question.save()
    stale = [A, B, E, *BIOLOGY, *CATALOGUE]
    assert_stale_exactly(client, stale)
    for path in (A, B, E, "/learn/biology/", "/learn/biology/feed.atom", "/learn/feed.atom"):
        assert "How do cells really divide?" in text(client, path), path


def test_an_edited_answer_or_seo_reaches_the_article_and_what_lists_it(client, site):
    warm(client)
    answer = site[A].answer
    answer.body = "By **mitosis**, mostly."
    answer.save()
    assert_stale_exactly(client, [A, B, E, *BIOLOGY, *CATALOGUE])
    assert "<strong>mitosis</strong>" in text(client, A)
    warm(client)
    seo = site[C].seo
    seo.page_description = "Genes are the units of heredity."
    seo.save()
    assert_stale_exactly(client, [C, B, D, *BIOLOGY, *CATALOGUE])
    assert "Genes are the units of heredity." in text(client, "/learn/biology/")


def test_a_related_link_changes_only_its_own_article(client, site):
    warm(client)
    site[F].related_links.create(position=1, target_url=C)
    assert_stale_exactly(client, [F])
    assert 'href="/learn/biology/questions/article-c"' in text(client, F)


def test_unpublishing_takes_the_article_off_its_cards_listing_and_feeds(client, site):
    warm(client)
    editorial.unpublish(Question.objects.filter(pk=site[A].pk))
    assert client.get(A).status_code == 404
    stale = [B, E, *BIOLOGY, *CATALOGUE]
    assert_stale_exactly(client, stale, [p for p in EVERY_PAGE if p != A])
    assert "article-a" not in text(client, B)
    assert "article-a" not in text(client, "/learn/biology/")


def test_moving_an_article_reaches_both_subjects(client, site):
    warm(client)
    editorial.move_to_subject(Question.objects.filter(pk=site[C].pk), site[F].subject)
    moved = "/learn/chemistry/questions/article-c"
    assert client.get(C).status_code == 301
    pages = [p for p in EVERY_PAGE if p != C]
    # B and D name C by its old address: their cards follow it to chemistry.
    assert_stale_exactly(client, [B, D, *BIOLOGY, *CHEMISTRY, *CATALOGUE], pages)
    assert f'href="{moved}"' in text(client, B)
    assert moved in text(client, "/learn/chemistry/")


def test_a_renamed_subject_reaches_its_pages_its_articles_and_cards_that_show_it(client, site):
    warm(client)
    chemistry = site[E].subject
    chemistry.title = "Chemical Sciences"
    chemistry.save()
    # E and F show their subject; no biology card shows chemistry's title.
    assert_stale_exactly(client, [E, F, *CHEMISTRY, *CATALOGUE])
    assert "Chemical Sciences" in text(client, F)
    assert "Chemical Sciences" in text(client, "/learn/")


def test_a_new_article_appears_in_its_listing_and_in_the_cards_waiting_for_it(client, site):
    warm(client)
    factory.make_question(site[F].subject, "article-g", question="What is a salt?")
    # Nobody linked to article-g: only chemistry's lists and the catalogue change.
    assert_stale_exactly(client, [*CHEMISTRY, *CATALOGUE])
    warm(client)
    # B declares a link to a slug that has no article yet: the card appears once one is published.
    site[B].related_links.create(position=3, target_url="/learn/biology/questions/article-h")
    assert_stale_exactly(client, [B])
    factory.make_question(site[A].subject, "article-h", question="What is a cell wall?")
    assert_stale_exactly(client, [B, *BIOLOGY, *CATALOGUE])
    assert "What is a cell wall?" in text(client, B)


def test_a_redirect_changes_only_the_page_at_its_path(client, site):
    warm(client)
    Redirect.objects.create(site_id=1, old_path="/learn/biology/questions/old-name", new_path=A)
    assert_stale_exactly(client, [])
    assert client.get("/learn/biology/questions/old-name").status_code == 301


def test_a_scheduled_article_goes_live_on_its_pages_only(client, site, monkeypatch):
    now = timezone.now()
    factory.make_question(site[A].subject, "article-s", question="What is osmosis?", publish_at=now + dt.timedelta(seconds=30))
    warm(client)
    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(minutes=1))
    assert_stale_exactly(client, [*BIOLOGY, *CATALOGUE])
    assert "What is osmosis?" in text(client, "/learn/biology/")
    assert client.get("/learn/biology/questions/article-s").status_code == 200


def test_importing_one_changed_file_reaches_its_dependents_only(client, tmp_path):
    factory.make_subject("biology", "Biology")
    for slug in ("article-a", "article-c", "article-d"):
        factory.write_seed(tmp_path, "biology", slug, id=hash(slug) % 10_000, answer=f"About {slug}.")
    factory.write_seed(tmp_path, "biology", "article-b", id=5, related=[("biology", "article-a")])
    call_command("import_seeds", str(tmp_path), "--quiet", stdout=io.StringIO())
    pages = [A, B, C, D, *BIOLOGY, *CATALOGUE]
    warm(client, pages)
    factory.write_seed(tmp_path, "biology", "article-a", id=hash("article-a") % 10_000, title="Retitled A?",
                       question="How do cells divide, retitled?", answer="About article-a, again.")
    # The cards naming A: B's declared link, and any article whose suggestions show it.
    naming_a = [path for path in (B, C, D) if f'href="{A}"' in text(client, path)]
    assert B in naming_a
    call_command("import_seeds", str(tmp_path), "--quiet", stdout=io.StringIO())
    assert_stale_exactly(client, [A, *naming_a, *BIOLOGY, *CATALOGUE], pages)
    for path in naming_a:
        assert "How do cells divide, retitled?" in text(client, path)


def test_a_whole_site_flush_makes_every_page_stale(client, site):
    warm(client)
    changes.flush_site()
    assert_stale_exactly(client, EVERY_PAGE)


def test_after_an_editors_save_only_its_pages_render_anew_and_99_of_100_others_stay_hits(client, admin_client, site):
    """The issue's measure: an editor saves A in the admin; the next request for A, for the
    articles whose cards name it, for its subject's listing pages and for the feeds shows the
    change, while other article pages sampled at random are still hits."""
    biology = site[A].subject
    older = dt.date(2024, 1, 1)  # A stays on the listing's first page
    others = [factory.make_question(biology, f"other-{i}", related=[C], date=older).path for i in range(150)]
    sample = random.Random(14).sample(others, 100)
    listing_pages = ["/learn/biology/", "/learn/biology/?page=2", "/learn/biology/?page=8"]
    feeds = ["/learn/feed.atom", "/learn/biology/feed.atom"]
    warm(client, [A, B, E, *listing_pages, *feeds, *sample])
    question = site[A]
    data = {**factory.change_form_data(question), "question": "How do cells divide, as edited?", "answer-0-body": "Edited."}
    assert admin_client.post(f"/admin/qa/question/{question.pk}/change/", data).status_code == 302
    for path in (A, B, E, *listing_pages[:1], *feeds):
        response = client.get(path)
        assert response["X-Page-Cache"] == "miss", path
        assert "How do cells divide, as edited?" in response.content.decode(), path
    for path in listing_pages[1:]:
        assert client.get(path)["X-Page-Cache"] == "miss", path  # what they list may have moved
    hits = sum(client.get(path)["X-Page-Cache"] == "hit" for path in sample)
    assert hits >= 99


# -- the stored parts of an article ---------------------------------------------------------------


def test_an_articles_parts_are_rendered_once_then_read_back(client, site, settings, django_assert_num_queries):
    settings.PAGE_CACHE = False
    first = client.get(B)
    stored = RenderedArticle.objects.get(question=site[B])
    assert f"path:{B}" in stored.dependencies.split()
    assert "slug:article-a" in stored.dependencies.split()
    changes.current()
    with django_assert_num_queries(1):
        again = client.get(B)
    assert again.content == first.content


def test_stored_parts_follow_a_retitled_card(client, site, settings):
    settings.PAGE_CACHE = False
    assert "How do cells divide?" in text(client, B)
    question = site[A]
    question.question = "Why do cells divide?"
    question.save()
    assert "Why do cells divide?" in text(client, B)
    assert "How do cells divide?" not in text(client, B)


def test_stored_parts_of_another_code_version_are_rendered_anew(client, site, settings, monkeypatch):
    settings.PAGE_CACHE = False
    client.get(A)
    RenderedArticle.objects.filter(question=site[A]).update(before="<p>made by an older release</p>")
    assert "older release" in text(client, A)
    monkeypatch.setattr(article_page, "parts_format", lambda: "a-newer-release")
    assert "older release" not in text(client, A)
    assert RenderedArticle.objects.get(question=site[A]).format == "a-newer-release"


def test_an_editors_save_stores_the_parts_at_once(site, django_capture_on_commit_callbacks, admin_client):
    question = site[A]
    data = {**factory.change_form_data(question), "question": "Saved by an editor?", "answer-0-body": "By *mitosis*."}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/qa/question/{question.pk}/change/", data)
    assert response.status_code == 302
    assert "Saved by an editor?" in RenderedArticle.objects.get(question=question).before


def test_stored_parts_are_never_served_for_an_unpublished_article(client, site, settings):
    settings.PAGE_CACHE = False
    client.get(A)
    Question.objects.filter(pk=site[A].pk).update(status=Question.Status.UNPUBLISHED)
    assert client.get(A).status_code == 404


def test_a_path_left_by_one_article_serves_the_one_that_takes_it(client, site, settings):
    settings.PAGE_CACHE = False
    assert "How do cells divide?" in text(client, A)
    leaving, arriving = site[A], site[C]
    leaving.slug = "article-a-old"
    leaving.save()
    arriving.slug = "article-a"
    arriving.save()
    assert "What is a gene?" in text(client, A)
    assert "How do cells divide?" in text(client, "/learn/biology/questions/article-a-old")
    assert set(RenderedArticle.objects.values_list("path", flat=True)) >= {A, "/learn/biology/questions/article-a-old"}


def test_a_stored_page_is_found_by_its_path_in_one_query_and_deleted_once_its_article_left(
    client, site, settings, django_assert_num_queries
):
    settings.PAGE_CACHE = False
    client.get(D)
    changes.current()
    with django_assert_num_queries(1):
        assert client.get(D).status_code == 200
    question = site[D]
    question.slug = "article-d-moved"
    question.save()
    changes.current()
    assert client.get(D).status_code == 404  # the stored row's path changed: it is read, found gone, deleted
    assert not RenderedArticle.objects.filter(path=D).exists()
    assert client.get("/learn/biology/questions/article-d-moved").status_code == 200


# -- two server processes -------------------------------------------------------------------------


def _get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.headers["X-Page-Cache"], response.read().decode()


def _serve(db_path, port):
    env = {**child_env(db_path), "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "ALLOWED_HOSTS": "*"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(port, "/robots.txt")
            return process
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    kill_group(process.pid)
    raise AssertionError("gunicorn did not start within 30 s")


def test_a_change_reaches_two_server_processes_on_their_next_request(new_sqlite_db, tmp_path):
    """Two gunicorn servers over one database, each with a cache of its own (local memory): an
    import of one changed file in a third process reaches both within the changes' TTL (1 s)."""
    db_path = new_sqlite_db("two-servers")
    seeds = tmp_path / "seeds"
    factory.write_seed(seeds, "biology", "article-a", id=1, answer="First **version**.")
    factory.write_seed(seeds, "biology", "article-b", id=2, related=[("biology", "article-a")])
    factory.write_seed(seeds, "biology", "article-c", id=3)
    subprocess.run(manage_args("import_seeds", seeds, "--quiet"), env=child_env(db_path), cwd=ROOT, check=True, timeout=120)
    ports = [free_port(), free_port()]
    servers = [_serve(db_path, port) for port in ports]
    try:
        shows_a = {}
        for port in ports:
            for path in (A, B, C, "/robots.txt"):
                _get(port, path)
                state, html = _get(port, path)
                assert state == "hit"
                shows_a[path] = f'href="{A}"' in html  # a declared or a suggested card
        assert shows_a[B]
        factory.write_seed(seeds, "biology", "article-a", id=1, question="How do cells divide, edited?", answer="Second **edition**.")
        subprocess.run(manage_args("import_seeds", seeds, "--quiet"), env=child_env(db_path), cwd=ROOT, check=True, timeout=120)
        time.sleep(1.2)  # PAGE_CACHE_VERSION_TTL
        for port in ports:
            state, html = _get(port, A)
            assert state == "miss" and "<strong>edition</strong>" in html
            state, html = _get(port, B)
            assert state == "miss" and "How do cells divide, edited?" in html
            assert _get(port, C)[0] == ("miss" if shows_a[C] else "hit")
            assert _get(port, "/robots.txt")[0] == "hit"
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_group(server.pid)


def test_the_frame_once_per_process_gives_the_page_the_template_gives(rf, site):
    """page_html() fills the frame rendered once; it must equal rendering the template per request."""
    question = Question.objects.select_related("subject", "answer", "seo").get(pk=site[B].pk)
    page = article_page.render_page(question)
    request = rf.get(B)
    assert article_page.page_html(page) == render_to_string("qa/question_detail.html", {"page": page}, request)


# -- a CDN purge hook -----------------------------------------------------------------------------

purged: list[tuple[list[str], list[str]]] = []


def record_purge(paths, names):
    purged.append((paths, names))


def test_a_purge_hook_gets_the_paths_an_edit_made_stale(client, site, settings, django_capture_on_commit_callbacks):
    settings.PAGE_CHANGE_HOOKS = ["tests.test_page_dependencies.record_purge"]
    settings.PAGE_CACHE = False
    for path in ARTICLES:
        client.get(path)  # their parts are stored, with what they show
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = site[A]
        question.question = "Purged?"
        question.save()
    paths = set().union(*(set(p) for p, _ in purged))
    assert {A, B, E, *BIOLOGY, *CATALOGUE} <= paths
    assert not paths & {C, D, F, *CHEMISTRY}


def test_a_failing_purge_hook_never_fails_the_edit(site, settings, django_capture_on_commit_callbacks, caplog):
    settings.PAGE_CHANGE_HOOKS = ["tests.test_page_dependencies.no_such_hook"]
    with django_capture_on_commit_callbacks(execute=True):
        site[A].save()
    assert "page change hook tests.test_page_dependencies.no_such_hook failed" in caplog.text


def test_a_whole_site_flush_purges_everything(settings, django_capture_on_commit_callbacks):
    settings.PAGE_CHANGE_HOOKS = ["tests.test_page_dependencies.record_purge"]
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        changes.flush_site()
    assert purged == [(["*"], ["site"])]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_page_query_keeps_its_plan_on_postgresql(client, site, settings):
    settings.PAGE_CACHE = False
    for _ in range(6):
        assert client.get(A).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any("qa_renderedarticle" in statement and "r.path" in statement for statement in statements), statements
