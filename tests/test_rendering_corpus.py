"""Every answer of the real sample (../shared/corpus/learn) through the rendering pipeline.

For each: no LaTeX in the text a reader sees, every price of the source shown as written,
no unsafe markup; and across the sample, every formula typeset (no math-error fallback).
"""
import pytest

from qa.imports.seedfile import parse_seed
from qa.rendering.markdown import render_markdown
from tests.html_checks import currency_amounts, latex_leaks, missing_amounts, unsafe_markup, visible_text

pytestmark = pytest.mark.corpus

# Formulas in the sample the converter may show as source. None today; a new seed with,
# say, \ce{} (mhchem) belongs here, with the reason.
ALLOWED_FALLBACKS = 0


@pytest.fixture(scope="module")
def rendered(corpus_dir):
    """(file name, markdown, html) for every seed answer."""
    paths = sorted((corpus_dir / "learn").glob("*/*.md"))
    result = []
    for path in paths:
        answer = parse_seed(path.read_bytes()).answer
        result.append((f"{path.parent.name}/{path.name}", answer, render_markdown(answer)))
    return result


def test_the_whole_sample_is_rendered(rendered):
    assert len(rendered) == 2552


def test_no_latex_reaches_the_reader(rendered):
    leaks = {name: latex_leaks(visible_text(html))[:5] for name, _, html in rendered}
    leaks = {name: found for name, found in leaks.items() if found}
    assert not leaks, f"{len(leaks)} answers show LaTeX: {dict(list(leaks.items())[:10])}"


def test_every_price_is_shown_as_written(rendered):
    checked, missing = 0, {}
    for name, markdown, html in rendered:
        amounts = currency_amounts(markdown)
        checked += len(amounts)
        if lost := missing_amounts(amounts, visible_text(html)):
            missing[name] = lost
    assert not missing, f"{len(missing)} answers lose prices: {dict(list(missing.items())[:10])}"
    # The sample quotes prices in dozens of answers; finding none would mean the helper broke.
    assert checked >= 40


def test_every_formula_is_typeset(rendered):
    fallbacks = {name: html.count('class="math-error"') for name, _, html in rendered}
    fallbacks = {name: count for name, count in fallbacks.items() if count}
    assert sum(fallbacks.values()) <= ALLOWED_FALLBACKS, f"formulas shown as source: {fallbacks}"
    formulas = sum(html.count("<math ") for _, _, html in rendered)
    assert formulas > 2000  # the sample's 2,300 formulas, give or take edits


def test_no_unsafe_markup(rendered):
    unsafe = {name: unsafe_markup(html) for name, _, html in rendered}
    assert not {name: found for name, found in unsafe.items() if found}


def test_code_samples_show_as_written(rendered):
    cpp = [html for name, markdown, html in rendered if "#include <iostream>" in markdown]
    assert cpp, "the sample has C++ answers"
    for html in cpp:
        assert '<span class="cpf">&lt;iostream&gt;</span>' in html
