"""The content-health report (qa/health.py): each category, the command's JSON, the admin page."""
import json
from io import StringIO

import pytest
from django.contrib.redirects.models import Redirect
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.urls import reverse

from qa.health import content_report
from qa.models import Question, RelatedArticle
from tests.factories import factory
from tests.html_checks import Page

pytestmark = pytest.mark.django_db

HEALTH_URL = reverse("admin:content_health")


@pytest.fixture
def biology():
    return factory.make_subject("biology", "Biology")


@pytest.fixture
def chemistry():
    return factory.make_subject("chemistry", "Chemistry")


def category(key):
    return next(c for c in content_report() if c.key == key)


def urls(key):
    return [item.url for item in category(key).items]


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def redirect(old, new):
    return Redirect.objects.create(site=Site.objects.get_current(), old_path=old, new_path=new)


def test_formulas_that_cannot_be_typeset_are_listed_with_the_formula(biology):
    broken = factory.make_question(biology, "broken", body="Good $x^2$, refused $\\foo$ and $\\frac{1}{$.")
    factory.make_question(biology, "fine", body="Only $x^2$.")

    [item] = category("math_errors").items

    assert item.url == broken.path
    assert item.change_url == change_url(broken)
    assert item.formulas == ["\\foo", "\\frac{1}{"]


def test_non_answers_are_listed(biology):
    non = factory.make_question(biology, "non", body="I cannot answer this question based on the available information.")
    factory.make_question(biology, "real", body="Cells divide. I cannot answer this question, said nobody.")

    assert urls("non_answers") == [non.path]
    assert category("non_answers").items[0].detail == "indexable: set no_index"


def test_related_links_dead_self_hidden_and_through_a_redirect(biology, chemistry):
    live = factory.make_question(biology, "live")
    draft = factory.make_question(biology, "draft", status=Question.Status.DRAFT)
    hidden = factory.make_question(biology, "hidden", no_index=True)
    factory.make_question(chemistry, "moved")  # once in biology, now in chemistry
    redirect("/learn/biology/questions/old-name", live.path)
    source = factory.make_question(
        biology, "source",
        related=[
            live.path,
            "/learn/biology/questions/nowhere",
            draft.path,
            hidden.path,
            "/learn/biology/questions/old-name",
            ],
    )
    other = factory.make_question(biology, "other", related=["/learn/biology/questions/moved"])
    RelatedArticle.objects.create(question=other, position=2, target_url=other.path)

    assert [i.detail for i in category("related_dead").items] == ["/learn/biology/questions/nowhere"]
    assert urls("related_dead") == [source.path]
    assert urls("related_self") == [other.path]
    assert [i.detail for i in category("related_hidden").items] == [
        f"{draft.path} (not published)", f"{hidden.path} (no_index)",
    ]
    redirected = category("related_redirected").items
    assert [(i.url, i.detail) for i in redirected] == [
        (source.path, f"/learn/biology/questions/old-name → {live.path}"),
        (other.path, "/learn/biology/questions/moved → /learn/chemistry/questions/moved (moved)"),
    ]


def test_articles_without_any_related_link(biology):
    alone = factory.make_question(biology, "alone")
    factory.make_question(biology, "linked", related=[alone.path])

    assert urls("no_related_links") == [alone.path]


def test_redirect_chains_loops_and_gone_targets(biology):
    live = factory.make_question(biology, "live")
    redirect("/a", "/b")
    redirect("/b", live.path)
    redirect("/loop-1", "/loop-2")
    redirect("/loop-2", "/loop-1")
    redirect("/old", "/learn/biology/questions/deleted")
    redirect("/old-subject", "/learn/no-such-subject/")
    fine = redirect("/fine", live.path)
    redirect("/gone-on-purpose", "")

    assert urls("redirect_chains") == ["/a"]
    assert category("redirect_chains").items[0].detail == f"2 hops: /a → /b → {live.path}"
    assert urls("redirect_loops") == ["/loop-1", "/loop-2"]
    assert urls("redirect_targets_gone") == ["/old", "/old-subject"]
    assert fine.old_path not in urls("redirect_targets_gone")
    assert category("redirect_loops").items[0].change_url == reverse(
        "admin:redirects_redirect_change", args=[Redirect.objects.get(old_path="/loop-1").pk]
    )


def test_seo_fields_outside_the_counters_ranges(biology):
    long_title = factory.make_question(biology, "long-title", seo_title="t" * 61, description="d" * 100)
    factory.make_question(biology, "edge-title", seo_title="t" * 60, description="d" * 50)
    short = factory.make_question(biology, "short", description="d" * 49)
    long = factory.make_question(biology, "long", description="d" * 161)
    factory.make_question(biology, "edge", description="d" * 160)

    assert urls("seo_title_too_long") == [long_title.path]
    assert urls("seo_description_out_of_range") == [short.path, long.path]
    assert category("seo_description_out_of_range").items[0].detail == "49 characters"


def test_one_question_published_in_two_subjects_with_both_urls(biology, chemistry):
    first = factory.make_question(biology, "enzymes", source_id=7)
    second = factory.make_question(chemistry, "enzymes", source_id=7)
    factory.make_question(chemistry, "unpublished-copy", source_id=8)
    factory.make_question(biology, "unpublished-copy", source_id=8, status=Question.Status.UNPUBLISHED)

    [by_id] = category("cross_listed_by_id").items
    [by_slug] = category("cross_listed_by_slug").items

    assert by_id.url == first.path and by_id.others == [{"url": second.path, "change_url": change_url(second)}]
    assert first.path in by_id.detail and second.path in by_id.detail
    assert by_slug.url == first.path


def test_json_has_every_category_with_count_and_items(biology):
    factory.make_question(biology, "alone", description="short")
    out = StringIO()

    call_command("content_report", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())

    assert set(report) == {c.key for c in content_report()} >= {
        "math_errors", "non_answers", "related_dead", "related_self", "related_hidden", "related_redirected",
        "no_related_links", "redirect_chains", "redirect_loops", "redirect_targets_gone",
        "seo_title_too_long", "seo_description_out_of_range", "cross_listed_by_id", "cross_listed_by_slug",
    }
    assert report["no_related_links"]["count"] == 1
    assert report["no_related_links"]["items"] == [
        {"url": "/learn/biology/questions/alone", "change_url": report["no_related_links"]["items"][0]["change_url"],
         "title": Question.objects.get().question}
    ]
    assert all("url" in item for value in report.values() for item in value["items"])


def test_text_report_prints_counts_and_items(biology):
    factory.make_question(biology, "alone")
    out = StringIO()

    call_command("content_report", stdout=out)

    assert "Articles without any related link: 1\n  /learn/biology/questions/alone\n" in out.getvalue()


def test_admin_page_is_linked_from_the_index_and_open_to_staff(client, biology):
    client.force_login(factory.make_staff())  # staff without any permission

    index = Page(client.get(reverse("admin:index")).content.decode())
    page = client.get(HEALTH_URL)

    assert HEALTH_URL in [href for href, _, _ in index.anchors]
    assert page.status_code == 200


def test_admin_page_needs_a_staff_login(client):
    response = client.get(HEALTH_URL)

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_page_lists_counts_and_paginates_items_linking_to_change_forms(client, biology):
    client.force_login(factory.make_superuser())
    articles = [factory.make_question(biology, f"alone-{n:02}") for n in range(55)]

    first = client.get(HEALTH_URL, {"category": "no_related_links"}).content.decode()
    second = client.get(HEALTH_URL, {"category": "no_related_links", "page": 2}).content.decode()

    links = lambda html: [href for href, _, _ in Page(html).anchors]  # noqa: E731
    assert "Articles without any related link</a></td>\n          <td class=\"count\">55</td>" in first
    assert change_url(articles[0]) in links(first) and change_url(articles[50]) not in links(first)
    assert change_url(articles[50]) in links(second) and change_url(articles[0]) not in links(second)
    assert "51–55 of 55" in second
