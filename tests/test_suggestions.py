"""Suggested related articles: computed from the text at import and on an editor's save, shown
after the declared links (published only, never the article itself, five in all), accepted or
hidden in the admin."""
import io

import pytest
from django.test import Client
from django.urls import reverse

from qa.models import Question, RelatedArticle, SuggestedRelated
from qa.related import related_cards
from qa.suggestions import similarity, store, terms
from tests.factories import factory
from tests.html_checks import Page

pytestmark = pytest.mark.django_db

# Articles about cells, and one about something else entirely.
CELL_QUESTIONS = [
    ("how-do-cells-divide", "How do cells divide by mitosis?", "cells, mitosis, division"),
    ("what-is-meiosis", "What is meiosis in cell division?", "meiosis, cells, division"),
    ("what-is-a-cell-membrane", "What does the cell membrane do in cells?", "cell membrane, cells"),
    ("what-are-chromosomes", "What are chromosomes during mitosis?", "chromosomes, mitosis"),
    ("what-is-cytokinesis", "What is cytokinesis after mitosis and cell division?", "cytokinesis, division"),
    ("what-is-the-cell-cycle", "What is the cell cycle of dividing cells?", "cell cycle, cells, mitosis"),
    ("what-is-a-spindle", "What is the mitotic spindle in cell division?", "spindle, mitosis, division"),
]


def suggest(*questions):
    """What an import does for these articles: store their terms, then compute every suggestion."""
    store.store_terms([(q.pk, store.pack_article(q.pk)) for q in questions])
    store.refresh()


@pytest.fixture
def biology():
    return factory.make_subject("biology")


@pytest.fixture
def cells(biology):
    articles = [factory.make_question(biology, slug, question=text, keywords=kw) for slug, text, kw in CELL_QUESTIONS]
    articles.append(factory.make_question(biology, "what-is-a-sonnet", question="What is a sonnet?", keywords="poetry"))
    return articles


def card_ids(question):
    return [link.question_id for link in related_cards(Question.objects.get(pk=question.pk))]


# -- the computation ------------------------------------------------------------------------------


def test_nearest_finds_alike_rows_never_itself_nor_the_excluded_nor_the_ineligible():
    packed = [
        terms.pack("How do cells divide by mitosis?", "mitosis", ""),
        terms.pack("What is mitosis in cells?", "mitosis, cells", ""),
        terms.pack("Why do cells divide?", "cells", ""),
        terms.pack("What is a sonnet?", "poetry", ""),
    ]
    subjects = [1, 1, 1, 2]
    assert similarity.nearest(packed, subjects, [0])[0][:2] == [1, 2]
    assert similarity.nearest(packed, subjects, [0], excluded={0: {1}})[0] == [2]
    assert similarity.nearest(packed, subjects, [0], eligible=[True, False, True, True])[0] == [2]
    assert 3 not in similarity.nearest(packed, subjects, [0]).get(0, [])
    assert similarity.nearest(packed, subjects, [0], k=1)[0] == [1]


def test_suggestions_are_alike_published_at_most_five_and_never_the_article_itself(cells):
    draft = factory.make_question(cells[0].subject, "mitosis-draft", question="How do cells divide by mitosis?",
                                  keywords="cells, mitosis, division", status=Question.Status.DRAFT)
    suggest(*cells, draft)

    first = cells[0]
    rows = list(SuggestedRelated.objects.filter(question=first).order_by("rank"))
    assert 1 <= len(rows) <= 5
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    targets = {r.target_id for r in rows}
    assert first.pk not in targets and draft.pk not in targets
    assert cells[-1].pk not in targets  # the sonnet shares no word with cell division
    assert targets <= {c.pk for c in cells[1:-1]}


def test_articles_declaring_five_links_get_no_suggestions_and_declared_targets_are_not_suggested(biology, cells):
    five = factory.make_question(biology, "five-links", question="How do cells divide by mitosis?",
                                 keywords="cells, mitosis", related=[c.path for c in cells[1:6]])
    one = factory.make_question(biology, "one-link", question="How do cells divide by mitosis?",
                                keywords="cells, mitosis", related=[cells[1].path])
    suggest(*cells, five, one)

    assert not SuggestedRelated.objects.filter(question=five).exists()
    assert not SuggestedRelated.objects.filter(question=one, target=cells[1]).exists()


# -- what readers see -----------------------------------------------------------------------------


def test_cards_show_declared_links_first_then_suggestions_five_in_all(biology, cells):
    one = factory.make_question(biology, "one-link", question="How do cells divide by mitosis?",
                                keywords="cells, mitosis", related=[cells[-1].path])
    suggest(*cells, one)

    ids = card_ids(one)
    assert ids[0] == cells[-1].pk  # the declared link, even though it is not alike
    assert len(ids) == 5 and len(set(ids)) == 5 and one.pk not in ids
    suggested = list(SuggestedRelated.objects.filter(question=one).order_by("rank").values_list("target_id", flat=True))
    assert ids[1:] == suggested[:4]


def test_cards_leave_out_unpublished_and_hidden_suggestions(cells):
    suggest(*cells)
    first = cells[0]
    ranked = list(SuggestedRelated.objects.filter(question=first).order_by("rank").values_list("target_id", flat=True))
    Question.objects.filter(pk=ranked[0]).update(status=Question.Status.UNPUBLISHED)
    SuggestedRelated.objects.filter(question=first, target_id=ranked[1]).update(hidden=True)

    assert card_ids(first) == ranked[2:]


def test_recomputing_keeps_hidden_suggestions_hidden(cells):
    suggest(*cells)
    first = cells[0]
    top = SuggestedRelated.objects.filter(question=first).order_by("rank").first()
    assert store.hide(first, top.target_id)

    store.refresh()
    store.refresh([first.pk])

    assert list(SuggestedRelated.objects.filter(question=first, target=top.target).values_list("hidden", flat=True)) == [True]
    assert top.target_id not in card_ids(first)


def test_article_page_without_declared_links_shows_suggested_cards(client, cells):
    suggest(*cells)
    first = cells[0]

    html = client.get(first.path).content.decode()

    section = html.split('<section class="related"', 1)[1].split("</section>", 1)[0]
    hrefs = Page(section).hrefs("card__link")
    expected = [q.path for q in Question.objects.filter(suggested_for__question=first).order_by("suggested_for__rank")]
    assert hrefs == expected and hrefs


# -- import ---------------------------------------------------------------------------------------


def run_import(path):
    from qa.imports.importer import SeedImporter, collect_seed_files

    return SeedImporter(workers=1).run(collect_seed_files([path]))


def test_import_computes_suggestions_and_an_unchanged_rerun_keeps_them(tmp_path):
    for i, (slug, text, keywords) in enumerate(CELL_QUESTIONS):
        factory.write_seed(tmp_path, "biology", slug, id=3000 + i, question=text,
                           seo={"title": "T", "page_description": "", "page_keywords": keywords})
    run_import(tmp_path)

    first = Question.objects.get(slug="how-do-cells-divide")
    rows = list(SuggestedRelated.objects.filter(question=first).values_list("pk", "target_id"))
    assert rows and first.pk not in {t for _, t in rows}

    run_import(tmp_path)  # nothing changed: nothing recomputed
    assert list(SuggestedRelated.objects.filter(question=first).values_list("pk", "target_id")) == rows

    factory.write_seed(tmp_path, "biology", "how-do-cells-divide", id=3000, question="What is a sonnet in poetry?",
                       seo={"title": "T", "page_description": "", "page_keywords": "poetry"})
    run_import(tmp_path)  # a changed file: its suggestions follow its new text
    assert not SuggestedRelated.objects.filter(question=first).exists()


# -- the admin ------------------------------------------------------------------------------------


def suggestion_url(question):
    return reverse("admin:qa_question_suggestion", args=[question.pk])


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


@pytest.fixture
def editor_client(db):
    client = Client()
    client.force_login(factory.make_editor())
    return client


def test_change_form_lists_suggestions_with_accept_and_hide_buttons(editor_client, cells):
    suggest(*cells)
    first = cells[0]
    top = SuggestedRelated.objects.filter(question=first).order_by("rank").first()

    page = editor_client.get(change_url(first)).content.decode()

    assert "Suggested related articles" in page
    assert f'formaction="{suggestion_url(first)}"' in page
    assert f'name="accept" value="{top.target_id}"' in page and f'name="hide" value="{top.target_id}"' in page


def test_an_editors_save_recomputes_the_articles_suggestions(editor_client, cells):
    suggest(*cells)
    sonnet = cells[-1]
    assert not SuggestedRelated.objects.filter(question=sonnet).exists()

    data = factory.change_form_data(Question.objects.get(pk=sonnet.pk))
    data.update({"question": "What is the cycle of cells in mitosis?", "seo-0-page_keywords": "cell cycle, mitosis", "answer-0-body": "It repeats."})
    response = editor_client.post(change_url(sonnet), data)

    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert SuggestedRelated.objects.filter(question=sonnet).exists()


def test_accept_declares_the_suggestion_at_the_next_free_position(editor_client, biology, cells):
    one = factory.make_question(biology, "one-link", question="How do cells divide by mitosis?",
                                keywords="cells, mitosis", related=[cells[-1].path])
    suggest(*cells, one)
    top = SuggestedRelated.objects.filter(question=one).order_by("rank").first()

    response = editor_client.post(suggestion_url(one), {"accept": top.target_id})

    assert response.status_code == 302 and response["Location"] == change_url(one)
    link = RelatedArticle.objects.get(question=one, position=2)
    assert link.target_url == top.target.path
    assert not SuggestedRelated.objects.filter(pk=top.pk).exists()
    assert card_ids(one)[:2] == [cells[-1].pk, top.target_id]


def test_hide_removes_the_suggestion_for_good(editor_client, cells):
    suggest(*cells)
    first = cells[0]
    top = SuggestedRelated.objects.filter(question=first).order_by("rank").first()

    shown = SuggestedRelated.objects.filter(question=first, hidden=False)
    before = set(shown.values_list("target_id", flat=True))

    response = editor_client.post(suggestion_url(first), {"hide": top.target_id})

    assert response.status_code == 302
    assert SuggestedRelated.objects.get(pk=top.pk).hidden
    after = set(shown.values_list("target_id", flat=True))
    assert len(after) == len(before) and top.target_id not in after  # the next best took its place
    assert top.target_id not in card_ids(first)
    assert f'name="hide" value="{top.target_id}"' not in editor_client.get(change_url(first)).content.decode()


def test_suggestion_view_needs_the_change_permission_a_post_and_the_csrf_token(cells):
    suggest(*cells)
    first = cells[0]
    top = SuggestedRelated.objects.filter(question=first).order_by("rank").first()

    staff = Client()
    staff.force_login(factory.make_staff())
    assert staff.post(suggestion_url(first), {"hide": top.target_id}).status_code == 403

    anonymous = Client().post(suggestion_url(first), {"hide": top.target_id})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(factory.make_editor("editor2"))
    assert strict.post(suggestion_url(first), {"hide": top.target_id}).status_code == 403
    assert strict.get(suggestion_url(first)).status_code == 405
    assert not SuggestedRelated.objects.get(pk=top.pk).hidden


def test_suggest_related_command_computes_them_for_articles_from_before(cells):
    from django.core.management import call_command

    call_command("suggest_related", stdout=io.StringIO())

    assert SuggestedRelated.objects.filter(question=cells[0]).exists()
