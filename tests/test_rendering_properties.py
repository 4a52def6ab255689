"""Property tests: whatever an editor or a seed file writes, rendering returns a string and
never produces markup that runs script."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.rendering.markdown import render_markdown
from tests.html_checks import unsafe_markup

# Pieces of Markdown, HTML and LaTeX syntax that hostile or broken input is made of; random
# text alone rarely forms a tag or a link.
FRAGMENTS = [
    "<script>", "</script>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<iframe src=//evil>", "<math>", "</math>", "<mi xlink:href='javascript:alert(1)'>", "<a href='", "'>", "</a>",
    "<", ">", '"', "'", "=", "onerror=", "onmouseover=alert(1)", "javascript:alert(1)", "JaVaScRiPt:", "java\tscript:",
    "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "&#106;avascript:", "&#x6A;", "&lt;script&gt;",
    "[x](", "](", ")", "![a](", "<javascript:alert(1)>", '"title" ', "[ref]: javascript:alert(1)\n", "[ref]",
    "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\", "{", "}", "^", "_", "&", "\\\\", "\\text{", "\\href{javascript:alert(1)}{x}",
    "\\class{x}{", "\\style{color:red}{", "\\frac{", "\\left(", "\\right)", "\\begin{aligned}", "\\end{aligned}",
    "\\def\\a{\\a}", "$7.25", "$26,000", "x^2", "\\alpha",
    "`", "```", "```html\n", "~~~", "\n", "\n\n", "   ", "    ", "- ", "1. ", "> ", "# ", "| a | b |\n|---|---|\n", "|",
    "---", "*", "**", "~~", "#include <iostream>",
]
hostile_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)
any_text = st.one_of(st.text(), hostile_text)

RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(any_text)
def test_rendering_returns_a_string_whatever_the_input(text):
    assert isinstance(render_markdown(text), str)


@RELAXED
@given(hostile_text)
def test_rendered_html_never_runs_script(text):
    html = render_markdown(text)
    assert not unsafe_markup(html), html


@RELAXED
@given(hostile_text, st.booleans())
def test_a_formula_is_typeset_or_shown_as_its_source_in_code(latex, display):
    html = render_markdown(f"$${latex}$$" if display else f"a ${latex}$ b")
    formulas = html.count('<span class="katex">') + html.count('<code class="math-error">')
    assert formulas <= 1 or "$" in latex or "\\(" in latex or "\\[" in latex
    assert not unsafe_markup(html)
