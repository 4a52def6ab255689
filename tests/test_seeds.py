"""The seed-file parser: every field, the answer's line breaks, and clear errors."""
import datetime

import pytest

from qa.imports.seedfile import SeedError, decode_answer, parse_seed
from tests.factories import factory


def parse(text):
    return parse_seed(text.encode("utf-8"))


def test_reads_every_field():
    seed = parse(factory.seed_text("history-of-the-world", "why-did-rome-fall", id=42, related=[("biology", "what-is-dna")]))
    assert seed.url == "/learn/history-of-the-world/questions/why-did-rome-fall"
    assert (seed.subject_slug, seed.slug) == ("history-of-the-world", "why-did-rome-fall")
    assert seed.source_id == 42
    assert seed.date == datetime.date(2025, 1, 24)
    assert seed.title == seed.article_title == seed.question == "Question why-did-rome-fall?"
    assert seed.author == "QuickTakes"
    assert (seed.date_format, seed.post_on_text) == ("MMM DD, YYYY", "Posted on")
    assert seed.score == -1.0
    assert seed.no_index is False
    assert (seed.seo_title, seed.seo_description, seed.seo_keywords) == (
        "QuickTakes | Biology", "How cells divide.", "cells, mitosis",
    )
    assert [(r.position, r.url, r.title, r.subject, r.source_id) for r in seed.related] == [
        (1, "/learn/biology/questions/what-is-dna", "Question what-is-dna?", "biology", 2001)
    ]


def test_score_and_no_index_are_optional():
    seed = parse(factory.seed_text(score=None, no_index=True))
    assert seed.score is None
    assert seed.no_index is True


def test_unknown_keys_are_kept_verbatim():
    seed = parse(factory.seed_text(difficulty="hard", tags=["a", "b"], reviewed={"by": "ann", "on": datetime.date(2025, 2, 1)}))
    assert seed.extra["difficulty"] == "hard"
    assert seed.extra["tags"] == ["a", "b"]
    assert seed.extra["reviewed"] == {"by": "ann", "on": "2025-02-01"}
    # Keys without a column of their own are kept too.
    assert seed.extra["_schema"] == "default"
    assert seed.extra["file_name"] == "how-do-cells-divide.md"
    assert seed.extra["subject"] == "Biology"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (r"one\n\ntwo", "one\n\ntwo"),
        (r"$$\nx = 1\n$$", "$$\nx = 1\n$$"),
        (r"\n\nis defined", "\n\nis defined"),
        (r"$\nu = c / \lambda$", r"$\nu = c / \lambda$"),
        (r"$a \neq b$", r"$a \neq b$"),
        (r"$\nabla f$", r"$\nabla f$"),
        (r"$P \lor \neg P$", r"$P \lor \neg P$"),
        (r"$\not\in$", r"$\not\in$"),
        (r"$x \ni y$", r"$x \ni y$"),
        (r"a \newline b", r"a \newline b"),
        (r"$\text{rate} \times \theta$\nnext", "$\\text{rate} \\times \\theta$\nnext"),
        (r"}\n\nint main() {", "}\n\nint main() {"),
    ],
)
def test_answer_line_breaks_keep_latex(raw, expected):
    assert decode_answer(raw) == expected


def test_answer_is_decoded_when_parsed():
    seed = parse(factory.seed_text(answer=r"Speed:\n\n$$\nv = \nu \lambda\n$$"))
    assert seed.answer == "Speed:\n\n$$\nv = \\nu \\lambda\n$$"


def test_bom_and_crlf_are_fine():
    data = ("\ufeff" + factory.seed_text()).replace("\n", "\r\n").encode("utf-8")
    assert parse_seed(data).slug == "how-do-cells-divide"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("title: no front matter\n", "no front matter"),
        ("---\ntitle: never closed\n", "not closed"),
        ("---\n- a list\n---\n", "not a mapping"),
        (factory.seed_text(question=None), "missing required field: question"),
        (factory.seed_text(answer="", question=""), "missing required fields: question, answer"),
        (factory.seed_text(id="abc"), "'id' must be a whole number"),
        (factory.seed_text(date="yesterday"), "'date' must be a date"),
        (factory.seed_text(title={"a": 1}), "'title' must be text"),
        (factory.seed_text(url="/blog/post"), "is not of the form /learn/<subject>/questions/<slug>"),
        (factory.seed_text(url="/learn/Biology/questions/Cells"), "is not of the form"),
        (factory.seed_text(url="/learn/biology/questions/how do cells"), "is not of the form"),
        (factory.seed_text(url="/learn/../questions/x"), "is not of the form"),
        ("---\na: &x [1, 2]\nb: *x\n---\n", "aliases are not allowed"),
        ("---\na: " + "[" * 50 + "]" * 50 + "\n---\n", "nested more than"),
    ],
)
def test_bad_input_is_a_clear_error(text, reason):
    with pytest.raises(SeedError, match=reason.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse(text)


def test_yaml_errors_name_the_line():
    with pytest.raises(SeedError) as caught:
        parse("---\nid: 1\ntitle: [unclosed\nquestion: x\n---\n")
    assert caught.value.line == 4
    assert str(caught.value).startswith("line 4: YAML error")


def test_not_utf8_and_nul_bytes_are_refused():
    with pytest.raises(SeedError, match="not UTF-8"):
        parse_seed(factory.seed_text().encode("utf-8") + b"\xff\xfe")
    with pytest.raises(SeedError, match="NUL byte"):
        parse_seed(factory.seed_text().encode("utf-8").replace(b"Cells", b"Ce\x00lls"))


@pytest.mark.parametrize(
    "text, warning",
    [
        (factory.seed_text(seo="a string"), "'seo' must be a mapping"),
        (factory.seed_text(seo={"title": "t" * 301}), "'seo.title' is longer than 300 characters"),
        (factory.seed_text(seo={"page_keywords": ["a", "b"]}), "'seo.page_keywords' must be text, not a list"),
        (factory.seed_text(score="high"), "'score' must be a number"),
        (factory.seed_text(no_index="maybe"), "'no_index' must be true or false"),
        (factory.seed_text(author={"name": "x"}), "'author' must be text, not a mapping"),
        (factory.seed_text(file_name="../../etc/passwd"), "'file_name' '../../etc/passwd' must be a plain file name"),
        (factory.seed_text(related_article6={"url": "/learn/a/questions/b"}), "found 'related_article6'"),
        (factory.seed_text(related_article1="nope"), "'related_article1' must be a mapping"),
        (factory.seed_text(related_article1={"title": "no url"}), "'related_article1' has no url"),
        (factory.seed_text(related_article1={"url": "javascript:alert(1)"}), "'related_article1.url' 'javascript:alert(1)'"),
        (factory.seed_text(related_article1={"url": "/learn/a/questions/b", "id": "x"}), "'related_article1.id' must be"),
        (
            factory.seed_text(related_article1={"url": "/learn/biology/questions/how-do-cells-divide"}),
            "'related_article1' points to the article itself",
        ),
        (factory.seed_text(notes=float("nan")), "'notes' holds nan, which cannot be stored"),
    ],
)
def test_a_defect_in_an_optional_part_costs_that_part_and_a_warning(text, warning):
    seed = parse(text)
    assert seed.url == "/learn/biology/questions/how-do-cells-divide" and seed.answer
    assert len(seed.warnings) == 1 and warning in seed.warnings[0], seed.warnings
    assert seed.warnings[0].endswith("; ignored")
    assert not seed.related and "notes" not in seed.extra
    assert seed.extra.get("file_name") in (None, "how-do-cells-divide.md")


def test_the_sound_related_links_stay_when_one_is_bad():
    seed = parse(factory.seed_text(
        related_article1={"url": "/learn/biology/questions/how-do-cells-divide"},
        related_article2={"url": "/learn/biology/questions/what-is-mitosis", "title": "Mitosis"},
        related_article02={"url": "/learn/biology/questions/what-is-meiosis"},
    ))
    assert [(r.position, r.url) for r in seed.related] == [(2, "/learn/biology/questions/what-is-mitosis")]
    assert len(seed.warnings) == 2
    assert "points to the article itself" in seed.warnings[0]
    assert "'related_article02': a second related article at position 2; ignored" in seed.warnings[1]


def test_a_non_answer_is_marked_no_index_with_a_warning():
    seed = parse(factory.seed_text(answer="I cannot answer this question based on the available information."))
    assert seed.no_index is True
    assert seed.warnings == ["'answer' declines to answer (\"I cannot answer this question based on…\"); marked no_index"]


def test_a_non_answer_already_marked_no_index_needs_no_warning():
    seed = parse(factory.seed_text(answer="I cannot answer this question based on the available information.", no_index=True))
    assert seed.no_index is True and seed.warnings == []


def test_a_file_full_of_bad_links_gives_twenty_warnings_and_a_count():
    links = {f"related_article{n}": {"url": "javascript:alert(1)"} for n in range(1, 6)}
    links.update({f"related_article{n}": {"url": "/learn/a/questions/b"} for n in range(6, 101)})
    seed = parse(factory.seed_text(**links))
    assert len(seed.warnings) == 21
    assert seed.warnings[-1] == "80 more warnings left out"
    assert seed.answer and not seed.related
