"""The family of refusals the old site published as answers, and what is not in it."""
import pytest

from qa.imports.seedfile import parse_seed
from qa.nonanswers import is_non_answer


@pytest.mark.parametrize(
    "text",
    [
        "I cannot answer this question based on the available information. The gathered information does not ...",
        "I can't answer this question based on the provided information.",
        "I can\u2019t answer the question with the available data.",
        "I'm sorry, but I cannot answer this question based on the gathered information.",
        "Unfortunately, I am unable to answer this question based on the information available.",
        "**I cannot answer this question based on the available information.**",
        "  i cannot provide an answer to this question based on the given context.",
    ],
)
def test_refusals_are_recognised(text):
    assert is_non_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "While the gathered information does not specify individual mentors, it highlights ...",
        "Here are some strategies based on the gathered information:\n\n1. Plan.",
        "The student said: I cannot answer this question based on the available information.",
        "I cannot overstate how the Krebs cycle matters: it ...",
        "I cannot answer every case, but for this question the rule is ...",
    ],
)
def test_real_answers_are_not(text):
    assert not is_non_answer(text)


@pytest.mark.corpus
def test_real_sample_non_answers_are_exactly_the_ones_marked_no_index_by_hand(corpus_dir):
    found, marked = set(), set()
    for path in (corpus_dir / "learn").glob("*/*.md"):
        data = path.read_bytes()
        seed = parse_seed(data)
        if is_non_answer(seed.answer):
            found.add(path.name)
        if b"\nno_index: True" in data:
            marked.add(path.name)
    assert found == marked == {
        "are-there-any-tutorials-offered-as-part-of-the-course.md",
        "what-is-the-procedure-for-requesting-additional-paper-during-the-examination.md",
    }
