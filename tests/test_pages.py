"""Reader pages as readers and staff see them: articles, subjects, /learn, moved URLs, previews."""
import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from qa.models import Question
from qa.redirects import add_redirect
from qa.serving import changes
from tests.conftest import FIXTURES_DIR
from tests.factories import factory
from tests.html_checks import Page, page_of

pytestmark = pytest.mark.django_db

# The stored parts with the answer; when they are stale, also the article with its subject and
# SEO, its related links, their targets and the storing of the parts anew (freeing the path, then
# writing the row).
ARTICLE_QUERIES, RENDER_QUERIES = 1, 5


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def biology():
    return factory.make_subject("biology", "Biology", position=1)


@pytest.fixture
def chemistry():
    return factory.make_subject("chemistry", "Chemistry", position=2)


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="change_question"))
    client.force_login(user)
    return user


# -- Article ----------------------------------------------------------------------------------


def test_article_shows_breadcrumb_single_h1_date_and_answer(client, biology):
    q = factory.make_question(
        biology, "how-do-cells-divide", question="How do cells divide?", body="Cells divide by **mitosis**."
    )

    response = client.get("/learn/biology/questions/how-do-cells-divide")

    assert response.status_code == 200
    page = page_of(response)
    assert page.h1 == ["How do cells divide?"]
    assert '<nav class="breadcrumb" aria-label="Breadcrumb">' in response.content.decode()
    assert ("/learn/", "Learn") in [(href, text) for href, text, _ in page.anchors]
    assert ("/learn/biology/", "Biology") in [(href, text) for href, text, _ in page.anchors]
    assert "Posted on Jan 24, 2025" in page.text
    assert '<time datetime="2025-01-24">' in response.content.decode()
    assert "<strong>mitosis</strong>" in response.content.decode()
    assert q.get_absolute_url() == "/learn/biology/questions/how-do-cells-divide"


def test_article_date_follows_its_own_moment_format_and_text(client, biology):
    factory.make_question(biology, "dated", date=datetime.date(2025, 3, 7), date_format="DD/MM/YYYY", post_on_text="Published")

    page = page_of(client.get("/learn/biology/questions/dated"))

    assert "Published 07/03/2025" in page.text


def test_article_escapes_question_text(client, biology):
    factory.make_question(biology, "xss", question="Is <script>alert(1)</script> & co safe?")

    html = client.get("/learn/biology/questions/xss").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "Is &lt;script&gt;alert(1)&lt;/script&gt; &amp; co safe?" in html


def test_every_page_has_the_header_with_learn_link_and_search_form(client, biology):
    factory.make_question(biology, "a")
    for url in ["/learn/", "/learn/biology/", "/learn/biology/questions/a", "/learn/missing/"]:
        html = client.get(url).content.decode()
        assert '<form class="site-search" action="/search" method="get" role="search">' in html, url
        assert 'type="search" name="q"' in html, url
        assert '<a href="/learn/">Learn</a>' in html, url


def test_article_page_takes_a_fixed_number_of_queries(client, biology, chemistry, settings, django_assert_num_queries):
    targets = [factory.make_question(chemistry, f"target-{i}") for i in range(5)]
    factory.make_question(biology, "one-link", related=[targets[0].path])
    factory.make_question(biology, "five-links", related=[t.path for t in targets])
    changes.current()  # the page cache reads the changes once a second, not per page
    settings.PAGE_CACHE = False  # every request renders

    for path in ("/learn/biology/questions/one-link", "/learn/biology/questions/five-links"):
        with django_assert_num_queries(ARTICLE_QUERIES + RENDER_QUERIES):
            first = client.get(path)
        with django_assert_num_queries(ARTICLE_QUERIES):  # its parts are stored now
            again = client.get(path)
        assert again.content == first.content


def test_anonymous_article_response_is_cacheable(client, biology):
    factory.make_question(biology, "a")

    response = client.get("/learn/biology/questions/a")

    assert "private" not in response.get("Cache-Control", "")
    assert "Cookie" not in response.get("Vary", "")


# -- Related questions --------------------------------------------------------------------------


def related_links(response):
    html = response.content.decode()
    section = html.split('<section class="related"', 1)[1].split("</section>", 1)[0] if "related-title" in html else ""
    return Page(section).anchors


def test_related_links_point_at_live_articles_and_hide_dead_ones(client, biology, chemistry):
    live = factory.make_question(biology, "live-target", question="What is a live target?")
    factory.make_question(biology, "draft-target", status=Question.Status.DRAFT)
    factory.make_question(
        biology,
        "source",
        related=[
            ("/learn/biology/questions/live-target", "Old title"),
            "/learn/biology/questions/never-written",
            "/learn/biology/questions/draft-target",
            "/learn/biology/questions/live-target",  # the seeds repeat links; show it once
            "/learn/biology/questions/source",  # a link to itself
        ],
    )

    links = related_links(client.get("/learn/biology/questions/source"))

    assert [(href, text) for href, text, _ in links] == [(live.path, "What is a live target?")]


def test_related_link_follows_the_slug_to_its_one_other_subject(client, biology, chemistry):
    moved = factory.make_question(chemistry, "organic-compounds", question="What are organic compounds?")
    factory.make_question(biology, "source", related=["/learn/biology/questions/organic-compounds"])

    links = related_links(client.get("/learn/biology/questions/source"))

    assert [href for href, _, _ in links] == [moved.path]


def test_related_link_with_the_slug_under_two_other_subjects_is_not_shown(client, biology, chemistry):
    physics = factory.make_subject("physics")
    factory.make_question(chemistry, "energy")
    factory.make_question(physics, "energy")
    factory.make_question(biology, "source", related=["/learn/biology/questions/energy"])

    response = client.get("/learn/biology/questions/source")

    assert related_links(response) == []
    assert "Related questions" not in response.content.decode()


# -- Reader visibility ----------------------------------------------------------------------------

# Articles readers must not see: a draft, an unpublished one, one scheduled for tomorrow.
NOT_PUBLISHED = pytest.mark.parametrize(
    "fields",
    [
        {"status": Question.Status.DRAFT},
        {"status": Question.Status.UNPUBLISHED},
        {"status": Question.Status.PUBLISHED, "publish_at": timezone.now() + datetime.timedelta(days=1)},
    ],
    ids=["draft", "unpublished", "scheduled"],
)



@NOT_PUBLISHED
def test_readers_get_404_for_articles_that_are_not_published(client, biology, fields):
    factory.make_question(biology, "hidden", **fields)

    response = client.get("/learn/biology/questions/hidden")

    assert response.status_code == 404


def test_scheduled_article_appears_once_its_time_has_come(client, biology):
    factory.make_question(biology, "due", publish_at=timezone.now() - datetime.timedelta(minutes=1))

    assert client.get("/learn/biology/questions/due").status_code == 200


def test_unknown_subject_and_article_are_404_in_the_site_look(client, biology):
    for url in ["/learn/no-such-subject/", "/learn/biology/questions/no-such-question"]:
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert "We couldn’t find that page" in html
        assert '<a class="button" href="/learn/">Browse all subjects</a>' in html


def test_500_page_renders_without_a_request_context():
    html = render_to_string("500.html")

    assert "Something went wrong" in html
    assert 'href="/learn/"' in html


# -- Staff preview ------------------------------------------------------------------------------------


@NOT_PUBLISHED
def test_editor_previews_unpublished_article_with_banner_and_no_caching(client, biology, editor, fields):
    factory.make_question(biology, "hidden", question="Hidden question?", **fields)

    response = client.get("/learn/biology/questions/hidden")

    assert response.status_code == 200
    assert "Preview — not published" in response.content.decode()
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache", "no-store"} <= cache_control
    assert page_of(response).meta["robots"].startswith("noindex")


def test_editor_sees_published_article_without_banner_but_still_privately(client, biology, editor):
    factory.make_question(biology, "live")

    response = client.get("/learn/biology/questions/live")

    assert "Preview — not published" not in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_logged_in_user_without_permission_cannot_preview(client, biology):
    client.force_login(User.objects.create_user("reader", password="pw"))
    factory.make_question(biology, "hidden", status=Question.Status.DRAFT)

    assert client.get("/learn/biology/questions/hidden").status_code == 404


# -- Moved URLs --------------------------------------------------------------------------------------


def test_article_url_with_trailing_slash_moves_to_the_declared_url(client, biology):
    factory.make_question(biology, "a")

    response = client.get("/learn/biology/questions/a/?ref=x")

    assert response.status_code == 301
    assert response["Location"] == "/learn/biology/questions/a?ref=x"


def test_stored_redirect_answers_301_keeping_the_query_string(client, biology, chemistry):
    target = factory.make_question(chemistry, "new-home")
    add_redirect("/learn/biology/questions/old-home", target.path)

    response = client.get("/learn/biology/questions/old-home?utm_source=mail")

    assert response.status_code == 301
    assert response["Location"] == f"{target.path}?utm_source=mail"


def test_stored_redirect_wins_over_the_slug_fallback(client, biology, chemistry):
    physics = factory.make_subject("physics")
    factory.make_question(chemistry, "energy")
    chosen = factory.make_question(physics, "other-energy")
    add_redirect("/learn/biology/questions/energy", chosen.path)

    response = client.get("/learn/biology/questions/energy")

    assert response.status_code == 301
    assert response["Location"] == chosen.path


def test_article_slug_under_exactly_one_other_subject_answers_301_there(client, biology, chemistry):
    moved = factory.make_question(chemistry, "organic-compounds")

    for url in ["/learn/biology/questions/organic-compounds", "/learn/unknown-subject/questions/organic-compounds"]:
        response = client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == moved.path


def test_article_slug_under_two_other_subjects_or_unpublished_stays_404(client, biology, chemistry):
    physics = factory.make_subject("physics")
    factory.make_question(chemistry, "energy")
    factory.make_question(physics, "energy")
    factory.make_question(chemistry, "draft-only", status=Question.Status.DRAFT)

    assert client.get("/learn/biology/questions/energy").status_code == 404
    assert client.get("/learn/biology/questions/draft-only").status_code == 404


def test_redirect_with_empty_target_answers_410_gone(client, biology):
    from django.contrib.redirects.models import Redirect

    Redirect.objects.create(site_id=1, old_path="/learn/biology/questions/withdrawn", new_path="")

    assert client.get("/learn/biology/questions/withdrawn").status_code == 410


# -- Subject pages ------------------------------------------------------------------------------------


@pytest.fixture
def big_subject(biology):
    day = datetime.date(2025, 1, 1)
    for i in range(45):
        factory.make_question(biology, f"q-{i:02d}", question=f"Question {i:02d}?", date=day + datetime.timedelta(days=i))
    factory.make_question(biology, "a-draft", status=Question.Status.DRAFT)
    return biology


def question_links(response):
    return page_of(response).hrefs("card__link")


def test_subject_page_lists_20_newest_questions_and_the_total(client, big_subject):
    response = client.get("/learn/biology/")

    assert response.status_code == 200
    page = page_of(response)
    assert page.h1 == ["Biology"]
    assert "All Questions (45)" in page.text
    links = question_links(response)
    assert len(links) == 20
    assert links[0] == "/learn/biology/questions/q-44"
    assert page.link("prev") is None
    assert page.link("next") == "/learn/biology/?page=2"


def test_subject_pages_paginate_with_rel_links_and_404_past_the_end(client, big_subject):
    second = client.get("/learn/biology/?page=2")
    last = client.get("/learn/biology/?page=3")

    assert question_links(second)[0] == "/learn/biology/questions/q-24"
    assert page_of(second).link("prev") == "/learn/biology/"
    assert page_of(second).link("next") == "/learn/biology/?page=3"
    assert len(question_links(last)) == 5
    assert page_of(last).link("next") is None
    assert 'rel="prev" href="/learn/biology/?page=2"' in last.content.decode()
    for bad in ["4", "0", "-1", "two"]:
        assert client.get(f"/learn/biology/?page={bad}").status_code == 404, bad


def test_subject_page_takes_a_fixed_number_of_queries(client, big_subject, django_assert_max_num_queries):
    changes.current()  # the page cache reads the content version once a second, not per page
    with django_assert_max_num_queries(3):
        client.get("/learn/biology/?page=2")


def test_empty_subject_page_says_so(client, biology):
    response = client.get("/learn/biology/")

    assert response.status_code == 200
    assert "All Questions (0)" in response.content.decode()


# -- /learn and / -----------------------------------------------------------------------------------


def test_learn_lists_listed_subjects_in_order_with_published_counts(client, biology, chemistry):
    hidden = factory.make_subject("secret-club", is_listed=False, position=0)
    factory.make_subject("empty-subject", position=3)
    chemistry.position = 0
    chemistry.save()
    factory.make_question(hidden, "x")
    factory.make_question(biology, "b1")
    factory.make_question(biology, "b2")
    factory.make_question(biology, "b3", status=Question.Status.DRAFT)
    factory.make_question(chemistry, "c1")

    response = client.get("/learn/")

    assert response.status_code == 200
    subject_cards = [
        (href, text) for href, text, attrs in page_of(response).anchors if attrs.get("class") == "subject-card"
    ]
    assert subject_cards == [("/learn/chemistry/", "Chemistry 1 question"), ("/learn/biology/", "Biology 2 questions")]


def test_root_leads_to_learn(client):
    response = client.get("/")

    assert response.status_code in (301, 302)
    assert response["Location"] == "/learn/"


# -- The sample articles in fixtures/ -------------------------------------------------------------


@pytest.fixture
def fixture_articles(db):
    from io import StringIO

    from django.core.management import call_command

    call_command(
        "import_seeds", str(FIXTURES_DIR), "--subjects", str(FIXTURES_DIR / "subjects.yaml"), "--quiet", stdout=StringIO()
    )
    return list(Question.objects.select_related("subject"))


def test_every_fixture_article_renders(client, fixture_articles):
    assert len(fixture_articles) >= 12
    for question in fixture_articles:
        response = client.get(question.path)
        assert response.status_code == 200, question.path
        assert page_of(response).h1 == [question.question], question.path


def test_fixture_related_links_resolve_or_hide(client, fixture_articles):
    quadratic = related_links(
        client.get("/learn/mathematics/questions/how-do-you-solve-a-quadratic-equation-with-the-quadratic-formula")
    )
    product_rule = related_links(client.get("/learn/mathematics/questions/what-is-the-product-rule-for-derivatives"))

    hrefs = [href for href, _, _ in quadratic]
    assert hrefs[:2] == [
        "/learn/mathematics/questions/what-does-the-pythagorean-theorem-state",
        "/learn/mathematics/questions/how-is-compound-interest-calculated",
    ]  # then suggestions (qa.suggestions), five cards in all
    assert len(hrefs) == 5
    # The third declared link was never written.
    assert "/learn/mathematics/questions/how-do-you-complete-the-square" not in hrefs
    assert "/learn/computer-science/questions/what-is-big-o-notation" in [href for href, _, _ in product_rule]


def test_fixture_unlisted_subject_and_no_index_article(client, fixture_articles):
    budget = page_of(client.get("/learn/study-skills/questions/how-can-i-make-a-budget-as-a-student"))
    extension = page_of(
        client.get("/learn/study-skills/questions/what-is-the-procedure-for-requesting-an-exam-extension")
    )

    assert budget.meta["robots"] == "noindex, follow"
    assert extension.meta["robots"] == "noindex, follow"
    assert "$7.25 an hour" in budget.text
    assert "$26,000" in budget.text
    assert "Study Skills" not in page_of(client.get("/learn/")).text
