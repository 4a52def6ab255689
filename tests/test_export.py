"""export_seeds: the corpus's file shape, an exact round trip through the importer, identical output twice."""
import re

import pytest
from django.core.management.base import CommandError
from django.db import connection, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa.imports.exporter import seed_text
from qa.imports.seedfile import KNOWN_KEYS, RELATED_KEY, decode_answer, parse_seed
from qa.models import SEO, Answer, ArticleTerms, Question, RelatedArticle, Subject, SuggestedRelated
from tests.db_snapshot import article_snapshot
from tests.factories import factory
from tests.processes import run_command

pytestmark = pytest.mark.django_db

# Written for these tests in the exact shape of the real seed files (not copied from them).
SAMPLE = r"""---
_schema: default
id: 880011
date: 2025-03-07
title: >-
    Why does the pitch of a siren drop as it passes?
article_title: >-
    Why does the pitch of a siren drop as it passes?
date_format: MMM DD, YYYY
post_on_text: Posted on
seo:
  title: QuickTakes | Physics
  page_description: >-
    The Doppler effect: a moving source's waves bunch up ahead of it and spread out behind, so the pitch you hear drops as it goes by.
  page_keywords: >-
    Doppler effect, frequency, siren, sound waves, relative motion
author: QuickTakes
question: >-
    Why does the pitch of a siren drop as it passes?
answer: >-
    The **Doppler effect**: the observed frequency is\n\n$$\nf' = f \frac{v}{v \pm v_s}\n$$\n\nwhere $\nu$ stands for frequency and $v_s \neq 0$.\n\n- Approaching: higher pitch\n- Receding: lower pitch — “Ω” and 数学 survive too.
subject: Physics
file_name: why-does-the-pitch-of-a-siren-drop-as-it-passes.md
url: /learn/physics/questions/why-does-the-pitch-of-a-siren-drop-as-it-passes
score: -1.0
related_article1:
    id: 880012
    title: >-
        What is a wave's frequency?
    subject: Physics
    url: /learn/physics/questions/what-is-a-waves-frequency
related_article2:
    id: 880013
    title: >-
        How do bats use echolocation?
    subject: Biology
    url: /learn/biology/questions/how-do-bats-use-echolocation
---

&nbsp;"""
SAMPLE_PATH = ("physics", "why-does-the-pitch-of-a-siren-drop-as-it-passes.md")


def import_seeds(*paths):
    code, out, err = run_command("import_seeds", *paths, "--quiet")
    assert (code, err) == (0, ""), out + err
    return out


def export_seeds(outdir, *args):
    code, out, err = run_command("export_seeds", outdir, *args)
    assert (code, err) == (0, ""), out + err
    return out


def snapshot():
    with connection.cursor() as cursor:
        # The source hash is of the file's bytes, which an export may spell differently.
        return article_snapshot(cursor, with_hash=False)


def empty_the_database():
    """Leave no content, as after a fresh migrate. In SQL: the ORM's delete() would send a
    signal (and a cache bump) per row, which takes far longer than the import itself."""
    with connection.cursor() as cursor:
        for model in (SuggestedRelated, ArticleTerms, RelatedArticle, SEO, Answer, Question, Subject):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def read_tree(root):
    return {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_article_is_written_back_byte_for_byte_as_its_seed_file(tmp_path):
    write(tmp_path / "in", "/".join(SAMPLE_PATH), SAMPLE)
    import_seeds(tmp_path / "in")
    out = export_seeds(tmp_path / "out")
    assert "exported 1 articles" in out
    assert (tmp_path / "out").joinpath(*SAMPLE_PATH).read_text("utf-8") == SAMPLE


def test_no_index_goes_after_the_question_and_a_missing_score_stays_missing(tmp_path):
    # Where the real files put them: `no_index: True` between question and answer; no `score` line.
    text = SAMPLE.replace("answer: >-", "no_index: True\nanswer: >-").replace("score: -1.0\n", "")
    write(tmp_path / "in", "/".join(SAMPLE_PATH), text)
    import_seeds(tmp_path / "in")
    export_seeds(tmp_path / "out")
    assert (tmp_path / "out").joinpath(*SAMPLE_PATH).read_text("utf-8") == text


def test_importing_an_export_into_an_empty_database_gives_the_same_articles(tmp_path):
    write(tmp_path / "in", "/".join(SAMPLE_PATH), SAMPLE)
    factory.write_seed(
        tmp_path / "in", "chemistry", "what-is-an-acid",
        title='Acids: "proton donors" # not a comment',
        question="  What is an 'acid'?\n\n---\nA question with a YAML document marker inside.",
        answer=r"Steps:\n    indented code\ni) first\nii) second\n<script>alert(1)</script>",
        author="Dr. Ōtsuka: chemist",
        no_index=True,
        score=None,
        related=[("physics", "why-does-the-pitch-of-a-siren-drop-as-it-passes")],
        difficulty="hard",
        reviewed={"by": ["ann", "bo"], "on": "2025-02-01", "score": 4.5, "ok": True, "note": None},
    )
    import_seeds(tmp_path / "in")
    before = snapshot()

    export_seeds(tmp_path / "out")
    empty_the_database()
    import_seeds(tmp_path / "out")

    assert snapshot() == before
    assert len(before["articles"]) == 2


def test_exporting_twice_gives_identical_files(tmp_path):
    write(tmp_path / "in", "/".join(SAMPLE_PATH), SAMPLE)
    factory.write_seed(tmp_path / "in", "chemistry", "what-is-an-acid", extra_key={"b": 1, "a": [1, 2]})
    import_seeds(tmp_path / "in")
    export_seeds(tmp_path / "one")
    export_seeds(tmp_path / "two")
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")
    assert len(read_tree(tmp_path / "one")) == 2


def test_subject_option_exports_that_subject_only(tmp_path):
    factory.write_seed(tmp_path / "in", "biology", "what-is-dna", id=1)
    factory.write_seed(tmp_path / "in", "chemistry", "what-is-an-acid", id=2)
    import_seeds(tmp_path / "in")
    export_seeds(tmp_path / "out", "--subject", "chemistry")
    assert list(read_tree(tmp_path / "out")) == [tmp_path.joinpath("chemistry", "what-is-an-acid.md").relative_to(tmp_path)]
    with pytest.raises(CommandError, match="no subject with the slug 'nope'"):
        run_command("export_seeds", tmp_path / "out", "--subject", "nope")


def test_an_article_that_could_not_be_imported_again_is_reported_and_not_written(tmp_path):
    factory.write_seed(tmp_path / "in", "biology", "what-is-dna")
    import_seeds(tmp_path / "in")
    subject = Subject.objects.get()
    Question.objects.create(subject=subject, slug="no-answer-yet", title="T", question="Q?", date="2025-01-01",
                            source_id=5, status=Question.Status.DRAFT)
    code, out, err = run_command("export_seeds", tmp_path / "out")
    assert code == 1
    assert err.strip() == (
        "error: /learn/biology/questions/no-answer-yet: would not import again "
        "(missing required field: answer); not written"
    )
    assert "exported 1 articles" in out
    assert not (tmp_path / "out" / "biology" / "no-answer-yet.md").exists()


def test_articles_readers_cannot_see_are_exported_with_a_warning(tmp_path):
    factory.write_seed(tmp_path / "in", "biology", "what-is-dna")
    import_seeds(tmp_path / "in")
    Question.objects.update(status=Question.Status.UNPUBLISHED)
    out = export_seeds(tmp_path / "out")
    assert "1 of them are not published" in out
    assert (tmp_path / "out" / "biology" / "what-is-dna.md").exists()


def test_answer_lines_that_start_like_a_latex_command_survive(tmp_path):
    # Written as "\n", the break before "i)" or "u =" would read back as \ni or \nu.
    body = "Cases:\ni) $x = 1$\nii) $\\nu \\neq 0$\nu = 3\ne.g. this\n\nnot that"
    factory.write_seed(tmp_path / "in", "biology", "cases", answer="placeholder")
    import_seeds(tmp_path / "in")
    Answer.objects.filter(question__slug="cases").update(body=body)
    export_seeds(tmp_path / "out")
    assert parse_seed((tmp_path / "out" / "biology" / "cases.md").read_bytes()).answer == body


def test_a_literal_backslash_n_in_an_answer_reads_back_as_a_line_break(tmp_path):
    # The documented limit of the seed format: it has no escape for the two characters "\n"
    # themselves (other than at the start of a LaTeX command such as \nu).
    factory.write_seed(tmp_path / "in", "computing", "printf", answer="placeholder")
    import_seeds(tmp_path / "in")
    Answer.objects.update(body='Use printf("\\n") for a newline, and $\\nu$ for nu.')
    export_seeds(tmp_path / "out")
    answer = parse_seed((tmp_path / "out" / "computing" / "printf.md").read_bytes()).answer
    assert answer == 'Use printf("\n") for a newline, and $\\nu$ for nu.'


# -- any text round-trips -------------------------------------------------------------------

TRICKY = [
    "'", '"', ": ", " #", "# ", "---", "\n---\n", "- ", "? ", "&a", "*a", "!!binary", "|", ">-", "%YAML",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "\\n", "\\nu", "\\t",
    "é", "数学", "🙂", "\t", "  ", "\n", "\n\n", "\r", "\r\n", "yes", "null", "~", "2024-01-01", "1e3", "0x1F",
    "\u2028", "\x85", "\ufeff", "{", "[", "}", "]", ",", "`", "@", "%", "\\",
]
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
raw_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHAR, max_size=6)), max_size=8).map("".join)


def field_text(limit=100, required=False):
    """Text as the importer stores it: stripped, within the column's width."""
    values = raw_text.map(lambda value: value[:limit].strip())
    return values.filter(bool) if required else values


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), raw_text
)
json_value = st.recursive(
    json_scalar,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(raw_text, children, max_size=3),
    max_leaves=8,
)
extra_key = st.text(ANY_CHAR, min_size=1, max_size=12).filter(
    lambda key: key not in KNOWN_KEYS and not RELATED_KEY.match(key)
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.fixed_dictionaries({
        "title": field_text(required=True), "article_title": field_text(), "question": field_text(required=True),
        "author": field_text(), "date_format": field_text(50), "post_on_text": field_text(),
    }),
    body=field_text(10_000, required=True),
    seo=st.tuples(field_text(), field_text(), field_text()),
    related=st.lists(st.tuples(field_text(), field_text()), max_size=5),
    extra=st.dictionaries(extra_key, json_value, max_size=4),
    placed_extra=st.fixed_dictionaries({}, optional={"_schema": json_value, "subject": st.none() | field_text()}),
    score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    no_index=st.booleans(),
)
def test_any_text_round_trips_through_a_seed_file(fields, body, seo, related, extra, placed_extra, score, no_index):
    # The answer's one documented limit: a literal backslash-n that is not LaTeX.
    assume(decode_answer(body) == body)
    extra = {**extra, **placed_extra}
    with transaction.atomic():
        subject = Subject.objects.create(slug="any-subject", title="Any")
        question = Question.objects.create(
            subject=subject, slug="any-article", date="2025-01-02", source_id=-7, score=score,
            no_index=no_index, extra=extra, **fields,
        )
        Answer.objects.bulk_create([Answer(question=question, body=body)])
        SEO.objects.create(question=question, title=seo[0], page_description=seo[1], page_keywords=seo[2])
        RelatedArticle.objects.bulk_create([
            RelatedArticle(question=question, position=n, target_url=f"/learn/x/questions/r{n}",
                           target_title=title, target_subject=subject_name, target_source_id=n)
            for n, (title, subject_name) in enumerate(related, start=1)
        ])
        stored = Question.objects.get(pk=question.pk)
        seed = parse_seed(seed_text(stored).encode("utf-8"))
        transaction.set_rollback(True)

    # An empty date format reads back as the default one.
    assert {k: getattr(seed, k) for k in fields} == {**fields, "date_format": fields["date_format"] or "MMM DD, YYYY"}
    assert seed.answer == body.replace("\r\n", "\n")
    assert (seed.seo_title, seed.seo_description, seed.seo_keywords) == seo
    assert [(r.title, r.subject) for r in seed.related] == related
    # As stored: PostgreSQL's jsonb may spell a float such as 1e23 as an integer.
    assert seed.extra == stored.extra
    assert (seed.score, seed.no_index, seed.source_id) == (score, no_index, -7)


# -- the real sample ------------------------------------------------------------------------

def in_export_style(original: str) -> str:
    """A corpus file as the exporter spells it: the two other spellings some real files use."""
    # Some files write titles in plain style; the exporter always folds them, like most files.
    text = re.sub(
        r"^((?:    )?)((?:article_)?title): (?!>-)(.*)$",
        lambda m: f"{m[1]}{m[2]}: >-\n{m[1]}    {m[3]}",
        original,
        flags=re.MULTILINE,
    )
    # Some files have a blank line before the closing '---', and one answer a trailing space.
    return re.sub(r" +$", "", text.replace("\n\n---\n\n&nbsp;", "\n---\n\n&nbsp;"), flags=re.MULTILINE)


@pytest.mark.corpus
def test_the_whole_corpus_round_trips_exactly(corpus_dir, tmp_path):
    learn = corpus_dir / "learn"
    import_seeds(learn)
    before = snapshot()
    assert len(before["articles"]) == 2552

    export_seeds(tmp_path / "out")
    originals = read_tree(learn)
    exported = read_tree(tmp_path / "out")
    assert exported.keys() == originals.keys()
    for name, data in originals.items():
        assert parse_seed(exported[name]) == parse_seed(data), name
        assert exported[name].decode("utf-8") == in_export_style(data.decode("utf-8")), name

    empty_the_database()
    import_seeds(tmp_path / "out")
    assert snapshot() == before

    export_seeds(tmp_path / "again")
    assert read_tree(tmp_path / "again") == exported
