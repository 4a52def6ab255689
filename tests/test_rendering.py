"""The rendering pipeline, rule by rule: math, currency, code, tables, anchors, safety."""
import html as html_module
import re
import time
from io import StringIO

import pytest
from django.core.management import call_command

from qa.models import Answer
from qa.rendering.markdown import SANITIZER, pygments_stylesheet, render_markdown
from tests.factories import factory
from tests.html_checks import currency_amounts, latex_leaks, missing_amounts, unsafe_markup, visible_text
from tests.processes import ROOT


def math_elements(html):
    """"inline" or "block" for each typeset formula, in order."""
    return ["block" if display else "inline" for display in re.findall(r'(<span class="katex-display">)?<span class="katex">', html)]


def tex_sources(html):
    """The LaTeX each formula's MathML keeps for screen readers and copy-tex."""
    return [html_module.unescape(s) for s in re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', html, re.S)]


def assert_reads_cleanly(markdown, html):
    """No LaTeX in what the reader sees, every price shown as written."""
    text = visible_text(html)
    assert not latex_leaks(text), text
    assert not missing_amounts(currency_amounts(markdown), text), text


# ---- Math --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown, source",
    [
        ("Area $x^2$ here", "x^2"),
        ("The period $ T $ of", "T"),
        ("Enthalpy $ \\Delta H $ is", "\\Delta H"),
        ("Where \\(P\\) is", "P"),
        ("Where \\( f(x_1) < f(x_2) \\) holds", "f(x_1) < f(x_2)"),
        ("Rate $0.0493\\%$ daily", "0.0493\\%"),
        ("Since $8 = 2^3$ and", "8 = 2^3"),
        ("Solve $ -1 < x < 7$ for x", "-1 < x < 7"),  # padded opener, tight closer
    ],
)
def test_inline_math_is_typeset_with_its_source_kept(markdown, source):
    html = render_markdown(markdown)
    assert math_elements(html) == ["inline"]
    assert tex_sources(html) == [source]
    assert 'class="katex-html" aria-hidden="true"' in html  # what the eye reads; MathML for the ear
    assert_reads_cleanly(markdown, html)


def test_display_math_block_is_typeset_in_a_scrolling_wrapper():
    html = render_markdown("The formula:\n\n$$\nNOI = \\frac{R}{C}\n$$\n\nDone.")
    assert '<div class="math-display"><span class="katex-display">' in html
    assert "<mfrac>" in html and 'class="mfrac"' in html
    assert "<p>Done.</p>" in html


def test_display_math_on_one_line():
    html = render_markdown("$$ V = I \\cdot R $$")
    assert html.startswith('<div class="math-display"><span class="katex-display">')
    assert tex_sources(html) == ["V = I \\cdot R"]


def test_display_math_right_after_a_line_of_text_interrupts_the_paragraph():
    html = render_markdown("can be expressed as:\n$$\nD = \\{1, 2, 3\\}\n$$")
    assert html.startswith("<p>can be expressed as:</p>")
    assert math_elements(html) == ["block"]


def test_display_math_indented_inside_numbered_list_items():
    # The corpus shape: "$$" lines indented under "1." items.
    markdown = (
        "1. **Net operating income**:\n"
        "   $$\n"
        "   NOI = \\text{Revenue} - \\text{Expenses}\n"
        "   $$\n"
        "2. **Cap rate**:\n"
        "   $$\n"
        "   r = \\frac{NOI}{V}\n"
        "   $$\n"
    )
    html = render_markdown(markdown)
    assert html.count("<li>") == 2
    assert math_elements(html) == ["block", "block"]
    items = html.split("<li>")[1:]
    assert all('<div class="math-display">' in item for item in items)
    assert_reads_cleanly(markdown, html)


def test_bracket_display_math_as_block_and_inside_text():
    html = render_markdown("\\[\nE = mc^2\n\\]\n\nand inline \\[ a^2 \\] too")
    assert math_elements(html) == ["block", "block"]
    assert '<span class="math-display"><span class="katex-display">' in html
    assert "\\[" not in visible_text(html)


def test_double_dollars_inside_a_sentence_keep_the_sentence():
    markdown = "Newton wrote $$F = G \\frac{m_1 m_2}{r^2}$$, where $F$ is the force."
    html = render_markdown(markdown)
    assert math_elements(html) == ["block", "inline"]
    assert ", where" in visible_text(html)
    assert_reads_cleanly(markdown, html)


def test_double_dollar_line_followed_by_text_is_display_math_in_the_paragraph():
    markdown = "   $$ a^0 = 1 $$ (for $ a \\neq 0 $)"
    html = render_markdown(markdown)
    assert math_elements(html) == ["block", "inline"]
    assert "(for" in visible_text(html)


def test_math_in_headings_and_table_cells():
    html = render_markdown("### The $x^2$ term\n\n| f | value |\n|---|---|\n| $\\sqrt{2}$ | 1.41 |")
    assert '<h3 id="the-term">' in html
    assert len(math_elements(html)) == 2
    assert "<msqrt>" in html


def test_escaped_dollar_is_a_dollar_sign():
    html = render_markdown("It costs \\$5 and \\$6.")
    assert visible_text(html).strip() == "It costs $5 and $6."
    assert not math_elements(html)


def test_math_markup_is_not_parsed_as_markdown():
    html = render_markdown("$a_1 * b_2 * c$ and $[x](y)$")
    assert "<em>" not in html and "<a " not in html
    assert len(math_elements(html)) == 2


def test_chemistry_is_typeset_by_mhchem():
    html = render_markdown("Water: $\\ce{2H2 + O2 -> 2H2O}$ and $\\ce{Ca^2+}$.")
    assert math_elements(html) == ["inline", "inline"]
    assert "math-error" not in html
    assert "<msub>" in html and "→" in html  # subscripts and a reaction arrow
    assert_reads_cleanly("", html)


def test_placeholder_characters_in_the_source_cannot_pull_in_a_formula():
    html = render_markdown("A \ue0000\ue001 B and $x$")
    assert math_elements(html) == ["inline"]
    assert "A 0 B" in visible_text(html)


# ---- LaTeX as authors write it, and what cannot be typeset ------------------------------------


@pytest.mark.parametrize(
    "latex",
    [
        "\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}",
        "\\begin{align*} a &= b \\\\ c &= d \\end{align*}",
        "\\begin{align} a &= b \\end{align}",
        "\\begin{gather} a \\\\ b \\end{gather}",
        "\\begin{eqnarray} a &=& b \\end{eqnarray}",
        "\\begin{equation} E = mc^2 \\end{equation}",
        "a &= b + c \\\\ &= d",  # rows of an aligned block without the environment
        "R_x = A_x + B_x \\\\ R_y = A_y + B_y",
        "\\mbox{if } x > 0",
        "\\require{mhchem} \\ce{H2O}",
        "\\text{50\\% of \\$5}",
        "\\left( \\frac{a}{b} \\right)",
        "\\mathbb{R} \\to \\mathbb{N}",
        "\\begin{vmatrix} a & b \\\\ c & d \\end{vmatrix}",
        "\\begin{cases} x & x \\ge 0 \\\\ -x & x < 0 \\end{cases}",
        "\\left[\\begin{array}{cc|c} 1 & 2 & 3 \\end{array}\\right]",
        "\\arg\\min_{x} f(x)",
    ],
)
@pytest.mark.parametrize("display", [True, False])
def test_latex_as_authors_write_it_is_typeset(latex, display):
    html = render_markdown(f"$${latex}$$" if display else f"Inline ${latex}$ here.")
    assert "math-error" not in html, html
    assert len(math_elements(html)) == 1
    assert not latex_leaks(visible_text(html))


@pytest.mark.parametrize(
    "latex",
    [
        "\\frac{1}{",  # unfinished
        "x^",
        "\\end{pmatrix}",
        "\\nosuchcommand{x}",
        "\\def\\a{\\a\\a}\\a",  # would expand forever
        "\\newcommand{\\x}{\\x}\\x",
        "{" * 5000 + "x" + "}" * 5000,
        "\\underbrace{" * 300 + "x" + "}" * 300,  # a huge output from a small input
    ],
)
def test_latex_katex_refuses_shows_its_source_in_code(latex):
    started = time.monotonic()
    html = render_markdown(f"Formula: ${latex}$ end.")
    assert time.monotonic() - started < 2
    assert '<code class="math-error">' in html
    assert not math_elements(html)
    assert not latex_leaks(visible_text(html))
    assert "Formula:" in html and "end." in html


def test_a_macro_defined_in_one_formula_does_not_reach_the_next():
    html = render_markdown("$\\gdef\\foo{x} \\foo$ and $\\foo$")
    assert math_elements(html) == ["inline"]
    assert '<code class="math-error">\\foo</code>' in html


def test_refused_display_math_keeps_its_source_in_the_display_wrapper():
    html = render_markdown("$$\n\\frac{1}{\n$$")
    assert html.startswith('<div class="math-display"><code class="math-error">\\frac{1}{</code>')


# ---- Currency -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "Buy a unit at $7.25 and equipment for $26,000.",
        "If a student has $50 and spends $20, they can write an equation.",
        "Snacks cost $2 each but the student has only $10.",
        "A range of $5-$10 or $5–$10, and $5/$10.",
        "Plan A: $60/month with 5GB; Plan B: $20/month plus $10 per GB.",
        "An expense of $100 (i.e., $2,400 / 24 months).",
        "About INT$53.8 billion, including US$27 million and $1.7 trillion.",
        "| Account | Debit |\n|---|---|\n| Cash | $300 |\n| Revenue | $300 |",
        "- $2,000 deductible\n- $20 fee",
    ],
)
def test_prices_stay_text(markdown):
    html = render_markdown(markdown)
    assert not math_elements(html)
    amounts = currency_amounts(markdown)
    assert amounts
    assert not missing_amounts(amounts, visible_text(html))


def test_price_and_formula_on_one_line():
    markdown = "It costs $10, and if $x = 5$ units are sold at $2 each, revenue is $ 5 \\times 2 $."
    html = render_markdown(markdown)
    assert len(math_elements(html)) == 2
    assert_reads_cleanly(markdown, html)
    assert "It costs $10, and if" in visible_text(html)


def test_a_formula_followed_by_a_digit_is_not_math():
    # Pandoc's rule: "$5 and 6$7" has no formula.
    assert not math_elements(render_markdown("from $5 to 6$7"))


def test_currency_helper_finds_prices_not_formulas():
    markdown = (
        "Pay $26,000 or $7.25 (about $5M); rate $0.0493\\%$, $8 = 2^3$, $72$, $1, 2, 3$, "
        "$2x^2$ and `echo $100` in code."
    )
    assert currency_amounts(markdown) == ["$26,000", "$7.25", "$5M"]


# ---- Code -----------------------------------------------------------------------------------


def test_fenced_code_is_highlighted_and_shows_as_written():
    markdown = '```cpp\n#include <iostream>\nint main() { std::cout << "$x$ \\\\(y\\\\)"; }\n```'
    html = render_markdown(markdown)
    assert html.startswith('<pre class="highlight"><code><span class="cp">#include</span>')
    assert '<span class="cpf">&lt;iostream&gt;</span>' in html
    assert '<span class="kt">int</span>' in html
    assert not math_elements(html)
    code = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    assert code == '#include <iostream>\nint main() { std::cout << "$x$ \\\\(y\\\\)"; }\n\n'


def test_code_in_an_unknown_language_is_plain_and_escaped():
    html = render_markdown("```nosuchlang\n<b>$x$</b>\n```")
    assert html == '<pre class="highlight"><code>&lt;b&gt;$x$&lt;/b&gt;\n</code></pre>\n'


def test_inline_code_keeps_dollars_and_backslashes():
    html = render_markdown("Run `awk '{print NR, $0}'` and `\\(x\\)` or `$a$`.")
    assert "<code>awk '{print NR, $0}'</code>" in html
    assert "<code>\\(x\\)</code>" in html
    assert not math_elements(html)


def test_code_stylesheet_is_generated_and_committed():
    assert (ROOT / "static" / "css" / "code.css").read_text("utf-8") == pygments_stylesheet(), (
        "static/css/code.css is out of date: run python manage.py code_css"
    )


def test_code_css_command_writes_the_stylesheet(tmp_path, monkeypatch):
    from qa.management.commands import code_css

    target = tmp_path / "code.css"
    monkeypatch.setattr(code_css, "CODE_CSS", target)
    call_command("code_css", stdout=StringIO())
    assert target.read_text("utf-8") == pygments_stylesheet()
    assert ".highlight .kt {" in target.read_text("utf-8")


def test_math_stylesheet_lets_display_math_scroll():
    css = (ROOT / "static" / "css" / "math.css").read_text("utf-8")
    assert re.search(r"\.math-display\s*\{[^}]*overflow-x:\s*auto", css)


# ---- Tables, headings, links ----------------------------------------------------------------


def test_tables_keep_alignment():
    html = render_markdown("| Item | Cost |\n|:-----|-----:|\n| Rent | 10 |")
    assert '<th style="text-align:left">Item</th>' in html
    assert '<td style="text-align:right">10</td>' in html


def test_headings_get_unique_linkable_ids():
    html = render_markdown("### Key Features\n\ntext\n\n### Key Features\n\n#### Step 1: *Plan*")
    assert '<h3 id="key-features">Key Features <a class="header-anchor" href="#key-features">#</a></h3>' in html
    assert '<h3 id="key-features-1">' in html
    assert '<h4 id="step-1-plan">' in html


def test_answer_headings_never_compete_with_the_page_h1():
    html = render_markdown("# Overview\n\nSome text.")
    assert "<h1" not in html
    assert html.startswith('<h2 id="overview">')


def test_heading_ids_do_not_collide_with_page_ids():
    assert '<h2 id="content-section">' in render_markdown("## Content")


def test_external_links_get_rel_and_internal_links_do_not():
    html = render_markdown("[site](https://example.org/a) and [article](/learn/biology/questions/cells)")
    assert '<a href="https://example.org/a" rel="nofollow noopener">site</a>' in html
    assert '<a href="/learn/biology/questions/cells">article</a>' in html


def test_remote_images_become_links_and_local_images_stay():
    html = render_markdown("![chart](https://cdn.example.com/c.png) ![cell](/media/markdownx/cell.png)")
    assert "<img" in html and 'src="/media/markdownx/cell.png"' in html
    assert 'src="https://cdn.example.com' not in html
    assert '<a href="https://cdn.example.com/c.png" rel="nofollow noopener">chart</a>' in html


# ---- Safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)> world",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java&#x73;cript:alert(1))",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        "$\\href{javascript:alert(1)}{x}$",
        "$\\text{<script>alert(1)</script>}$",
        "$$\n\\text{</math><img src=x onerror=alert(1)>}\n$$",
        "$\\class{x}{y} \\style{background:url(javascript:alert(1))}{z}$",
        '[x](https://a.example "title" onmouseover=alert(1))',
        "<style>body{display:none}</style>",
        "```html\n<script>alert(1)</script>\n```",
    ],
)
def test_raw_html_and_script_urls_are_inert(markdown):
    html = render_markdown(markdown)
    assert not unsafe_markup(html)
    assert not re.search(r"<(?:script|iframe|style)", html, re.IGNORECASE)
    # KaTeX sets sizes and shifts in style attributes and draws some symbols as SVG; nothing
    # of the answer's own markup keeps a style, and no style loads anything.
    outside_math = re.sub(r'<span class="katex">.*?</span></span></span>', "", html, flags=re.S)
    assert "style=" not in outside_math and "<svg" not in outside_math.lower()
    assert not any("url(" in style or "expression" in style for style in re.findall(r'style="([^"]*)"', html))


def test_unsafe_markup_helper_sees_what_a_browser_would_run():
    assert unsafe_markup('<p onclick="x()">a</p><a href=" java\tscript:alert(1)">b</a><script></script>') == [
        "<p onclick=…>", "<a href=' java\\tscript:alert(1)'>", "<script>"
    ]
    assert unsafe_markup('<p>&lt;a href="javascript:x"&gt;</p>') == []


def test_raw_html_shows_as_text():
    html = render_markdown("Use <b>bold</b> & <script>x</script>")
    assert visible_text(html).strip() == "Use <b>bold</b> & <script>x</script>"


def test_sanitizer_keeps_the_code_markup_it_allows_and_no_math_markup():
    html = (
        '<pre class="highlight"><code><span class="kt">int</span></code></pre>'
        '<div class="math-display"><math display="block"><mi style="color:red">a</mi></math></div>'
        '<span class="katex" style="height:1em">x</span>'
        '<h2 id="a">A</h2><span class="evil">y</span>'
    )
    clean = SANITIZER.clean(html)
    for kept in ('<pre class="highlight"><code><span class="kt">int</span>', '<div class="math-display">', '<h2 id="a">'):
        assert kept in clean
    # Typeset math is put in after the sanitiser: an answer can never bring its own.
    for dropped in ("<math", "<mi", "katex", "style", "onclick", "evil"):
        assert dropped not in clean


@pytest.mark.parametrize("text", ["", None, "   ", "\x00", "$", "$$", "\\(", "\\[", "```", "|", "#"])
def test_degenerate_input_gives_a_string(text):
    assert isinstance(render_markdown(text), str)


def test_huge_unclosed_delimiters_render_in_linear_time():
    started = time.monotonic()
    render_markdown("\\( " * 4_000 + "\n\n" + "$$ x\n" * 1_000 + "\\[ " * 4_000)  # 29 KB, under the limit
    assert time.monotonic() - started < 2


# ---- Stored HTML and the rerender command ----------------------------------------------------


@pytest.mark.django_db
def test_answer_save_stores_rendered_html():
    question = factory.make_question(factory.make_subject(), body="Area $x^2$ costs $5.")
    assert tex_sources(question.answer.html) == ["x^2"]
    assert "costs $5." in question.answer.html


@pytest.mark.django_db
def test_rerender_rewrites_stale_html_and_leaves_current_rows_alone():
    subject = factory.make_subject()
    stale = factory.make_question(subject, body="Energy $E = mc^2$.")
    current = factory.make_question(subject, body="Plain text.")
    Answer.objects.filter(pk=stale.pk).update(html="<p>old</p>")
    before = Answer.objects.get(pk=current.pk).html

    out = StringIO()
    call_command("rerender", batch_size=1, stdout=out)

    assert re.search(r"Rendered 2 answers in .*answers/s, .*/s of CPU time\); 1 changed", out.getvalue())
    assert tex_sources(Answer.objects.get(pk=stale.pk).html) == ["E = mc^2"]
    assert Answer.objects.get(pk=current.pk).html == before


@pytest.mark.django_db
def test_rerender_dry_run_writes_nothing():
    question = factory.make_question(factory.make_subject(), body="Energy $E = mc^2$.")
    Answer.objects.filter(pk=question.pk).update(html="<p>old</p>")
    out = StringIO()
    call_command("rerender", dry_run=True, stdout=out)
    assert "dry run, nothing written" in out.getvalue() and "1 changed" in out.getvalue()
    assert Answer.objects.get(pk=question.pk).html == "<p>old</p>"
