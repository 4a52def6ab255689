"""The renderer's time is bounded for any input (issue 13): the attacks of the security review.

Each input is the worst of its kind that fits under the answer limit (MAX_ANSWER_CHARS);
bench/bench_render_worst.py times them all, these tests hold each under 2 s of CPU."""
import re
import time

import pytest
from django.urls import reverse
from mdit_py_plugins.anchors.index import unique_slug

from qa.rendering import katex
from qa.rendering.markdown import MAX_ANSWER_CHARS, MAX_TABLE_CELLS, AnswerTooLong, render_markdown
from tests.factories import factory

LIMIT_SEC = 2.0


def fit(unit: str) -> str:
    """``unit`` repeated to the answer limit."""
    return (unit * (MAX_ANSWER_CHARS // len(unit) + 1))[:MAX_ANSWER_CHARS]


def timed(text):
    started = time.process_time()
    html = render_markdown(text)
    return html, time.process_time() - started


def test_repeated_identical_headings_render_in_linear_time_with_the_same_ids():
    html, seconds = timed(fit("# h\n"))  # 7,500 headings: about 5 s with the anchors plugin's own ids
    assert seconds < LIMIT_SEC
    ids = re.findall(r'<h2 id="([^"]+)">', html)
    assert len(ids) == MAX_ANSWER_CHARS // 4 and len(set(ids)) == len(ids)
    taken = set()
    assert ids == [unique_slug("h", taken) for _ in ids]  # the ids the plugin gave, h, h-1, h-2…


def test_headings_that_look_like_numbered_duplicates_still_get_unique_ids():
    html = render_markdown("# h-1\n# h\n# h\n# h-2\n# h\n")
    assert re.findall(r'<h2 id="([^"]+)">', html) == ["h-1", "h", "h-2", "h-2-1", "h-3"]


@pytest.mark.parametrize("columns", [10, 49])
def test_tables_of_empty_rows_under_a_wide_header_stay_small_and_fast(columns):
    # A short row is filled out to the header's width: "|" lines made 13 MB of cells from 30 KB.
    block = "|" + "a|" * columns + "\n|" + "-|" * columns + "\n" + "|\n" * 600 + "\n"
    html, seconds = timed(fit(block))
    assert seconds < LIMIT_SEC
    assert html.count("<td") + html.count("<th") <= MAX_TABLE_CELLS


def test_a_table_wider_than_the_limit_is_text():
    html = render_markdown("|" + "a|" * 60 + "\n|" + "-|" * 60 + "\n|b|\n")
    assert "<table" not in html


def test_real_tables_are_still_tables():
    html = render_markdown("| a | b |\n|---|:-:|\n| 1 | 2 |\n")
    assert "<table>" in html and '<td style="text-align:center">2</td>' in html


@pytest.mark.parametrize(
    "unit",
    [
        "> " * 50 + "a\n",  # nested quotes
        "".join("  " * depth + "- a\n" for depth in range(25)),  # nested lists
        "".join("> " * depth + "- " * depth + "a\n" for depth in range(20)),  # both
        "[a" , "![a", "*a **a ", "`a``",
    ],
)
def test_nesting_and_unclosed_markup_at_the_limit(unit):
    _, seconds = timed(fit(unit))
    assert seconds < LIMIT_SEC


def test_many_slow_formulas_are_cut_off_by_the_typesetting_budget():
    # 300 macro-expanding formulas of 100 characters, 40 ms of KaTeX each: 11 s without the budget.
    slow = r"\def\b{\sqrt{\frac{x}{y}}}\def\c{\b\b\b\b\b\b\b\b\b\b}\def\d{\c\c\c\c\c\c\c\c}"
    text = " ".join(f"${slow}{n}\\d\\d\\d\\d\\d\\d\\d\\d\\d\\d$" for n in range(1000))[:MAX_ANSWER_CHARS]
    started = time.perf_counter()
    render_markdown(text)
    assert time.perf_counter() - started < LIMIT_SEC
    with katex._lock:
        katex._reset_engine()


def test_longer_answers_are_refused_by_the_renderer():
    render_markdown("x" * MAX_ANSWER_CHARS)
    with pytest.raises(AnswerTooLong, match="longer than 30,000 characters"):
        render_markdown("x" * (MAX_ANSWER_CHARS + 1))


@pytest.mark.django_db
def test_the_preview_refuses_an_answer_over_the_limit(client):
    client.force_login(factory.make_editor())
    url = reverse("markdownx_markdownify")
    response = client.post(url, {"content": "# h\n" * 8000})
    assert response.status_code == 400
    assert "longer than 30,000 characters" in response.content.decode()
    assert client.post(url, {"content": "# h\n" * 100}).status_code == 200


@pytest.mark.django_db
def test_the_admin_refuses_to_save_an_answer_over_the_limit(client):
    question = factory.make_question(slug="how-do-cells-divide", body="Cells divide.")
    client.force_login(factory.make_superuser())
    url = reverse("admin:qa_question_change", args=[question.pk])
    response = client.post(url, factory.change_form_data(question, **{"answer-0-body": "# h\n" * 8000}))
    assert response.status_code == 200
    assert "Ensure this value has at most 30000 characters (it has 31999)." in response.content.decode()
    question.answer.refresh_from_db()
    assert question.answer.body == "Cells divide."
