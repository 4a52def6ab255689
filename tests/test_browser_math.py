"""Math as a reader sees it in Chromium, measured on the page's geometry, not on the markup.

Each check is one of the faults latex2mathml's MathML showed in Chromium, which KaTeX must set
as LaTeX would: aligned "=" signs, left-aligned cases, unary minus, display limits, bold
letters, an augmented matrix's rule, chemistry, ion charges, phones and copying a formula.
The formulas come from the fixture articles (fixtures/mathematics, fixtures/chemistry).
"""
import pytest

from tests.conftest import requires_chromium

pytestmark = [pytest.mark.browser, requires_chromium]

MATRIX = "/learn/mathematics/questions/how-do-you-solve-a-linear-system-with-an-augmented-matrix"
DERIVATIVE = "/learn/mathematics/questions/what-does-a-derivative-tell-you-about-a-function"
CHEMISTRY = "/learn/chemistry/questions/how-do-you-balance-a-chemical-equation"

# Finds a typeset formula by its LaTeX source (kept in the MathML annotation), and the boxes of
# the glyphs it draws: leaf elements of its visible HTML whose text is the given one.
HELPERS = """
window.formula = (source) => [...document.querySelectorAll('.katex')].find(
    k => (k.querySelector('annotation') || {}).textContent?.includes(source));
window.glyphs = (root, text) => [...root.querySelectorAll('.katex-html *')]
    .filter(e => !e.children.length && e.textContent.replace(/\\u00a0/g, ' ').trim() === text)
    .map(e => e.getBoundingClientRect().toJSON());
"""


def open_article(browser, site, path, **context):
    page = browser.new_page(**{"viewport": {"width": 1280, "height": 900}, **context})
    response = page.goto(site + path, wait_until="load")
    assert response.status == 200
    page.evaluate("document.fonts.ready")
    page.evaluate(f"() => {{ {HELPERS} }}")  # DevTools evaluation: the page's CSP still holds for its own scripts
    return page


def test_the_equals_signs_of_an_aligned_block_share_one_x(fixture_site, browser):
    page = open_article(browser, fixture_site, MATRIX)
    lefts = page.evaluate("glyphs(formula('\\\\begin{aligned}'), '=').map(r => r.left)")
    assert len(lefts) == 3
    assert max(lefts) - min(lefts) < 0.5, lefts


def test_the_columns_of_cases_are_left_aligned(fixture_site, browser):
    page = open_article(browser, fixture_site, DERIVATIVE)
    columns = page.evaluate("""[...formula('\\\\begin{cases}').querySelectorAll('.col-align-l')].map(
        col => [...col.querySelectorAll('.vlist > span > .mord')].map(cell => cell.getBoundingClientRect().left))""")
    assert len(columns) == 2 and all(len(rows) == 2 for rows in columns), columns
    for rows in columns:  # "x" over "−x", "if x ≥ 0" over "if x < 0": one left edge each
        assert abs(rows[0] - rows[1]) < 0.5, columns


def test_a_unary_minus_sits_tight_and_a_binary_minus_has_space(fixture_site, browser):
    page = open_article(browser, fixture_site, MATRIX)
    unary = page.evaluate("(() => { const f = formula('( -3)'); return [glyphs(f, '−')[0], glyphs(f, '3')[0]]; })()")
    binary = page.evaluate("(() => { const f = formula('5 - 3 = 2'); return [glyphs(f, '5')[0], glyphs(f, '−')[0]]; })()")
    unary_gap = unary[1]["left"] - unary[0]["right"]
    binary_gap = binary[1]["left"] - binary[0]["right"]
    assert unary_gap < 1, unary_gap
    assert binary_gap > 2.5, binary_gap  # a medium space, 4/18 em, on each side


def test_display_limits_sit_under_lim_max_and_argmin(fixture_site, browser):
    page = open_article(browser, fixture_site, DERIVATIVE)
    for source, operator in (("\\lim_{h \\to 0}", "lim"), ("\\arg\\min_{x", "min"), ("\\max_{0", "max")):
        boxes = page.evaluate(
            """([source, operator]) => {
                const f = formula(source), op = glyphs(f, operator)[0];
                const limits = [...f.querySelectorAll('.op-limits')].find(l => l.textContent.includes(operator));
                const under = limits.querySelector('.vlist > span:first-child .mord').getBoundingClientRect();
                return {op, under: under.toJSON()};
            }""",
            [source, operator],
        )
        op, under = boxes["op"], boxes["under"]
        # Boxes of inline text include the line's leading, so compare centres: the limit's is
        # below the operator's glyph box, and horizontally inside it (beside it would be inline style).
        assert (under["top"] + under["bottom"]) / 2 > op["bottom"] - 2, (source, boxes)
        centre = (under["left"] + under["right"]) / 2
        assert op["left"] - 2 < centre < op["right"] + 2, (source, boxes)
    operators = page.evaluate("""[...formula('\\\\arg\\\\min').querySelectorAll('.katex-html .mop')].map(
        e => [e.textContent.trim(), getComputedStyle(e).fontStyle])""")
    assert ["arg", "normal"] in operators, operators  # an upright operator name, not italic a·r·g


def test_mathbf_letters_are_bold(fixture_site, browser):
    page = open_article(browser, fixture_site, MATRIX)
    style = page.evaluate("""(() => {
        const bold = formula('\\\\mathbf{x}').querySelector('.mathbf'), plain = formula('A\\\\mathbf{x}').querySelector('.mathnormal');
        return {bold: getComputedStyle(bold).fontWeight, plain: getComputedStyle(plain).fontWeight,
                loaded: document.fonts.check('bold 20px KaTeX_Main')};
    })()""")
    assert int(style["bold"]) >= 700 and int(style["plain"]) < 700 and style["loaded"], style


def test_the_rule_of_an_augmented_matrix_is_painted(fixture_site, browser):
    page = open_article(browser, fixture_site, MATRIX)
    rule = page.evaluate("""(() => {
        const r = formula('{ccc|c}').querySelector('.vertical-separator'), s = getComputedStyle(r);
        return {height: r.getBoundingClientRect().height, style: s.borderRightStyle, width: parseFloat(s.borderRightWidth),
                color: s.borderRightColor};
    })()""")
    assert rule["style"] == "solid" and rule["width"] > 0 and rule["color"] != "rgba(0, 0, 0, 0)", rule
    assert rule["height"] > 40, rule  # spans the three rows


def test_chemistry_shows_subscripts_an_arrow_and_tight_charges(fixture_site, browser):
    page = open_article(browser, fixture_site, CHEMISTRY)
    water = page.evaluate("""(() => {
        const f = formula('\\\\ce{2H2 + O2 -> 2H2O}');
        return {h: glyphs(f, 'H'), twos: glyphs(f, '2'), arrows: [...f.querySelectorAll('.x-arrow, svg')]
                .map(a => a.getBoundingClientRect().width)};
    })()""")
    h = water["h"][0]
    subscripts = [two for two in water["twos"] if two["bottom"] > h["bottom"] + 1]
    assert len(subscripts) >= 3, water  # H₂, O₂, H₂O
    assert max(water["arrows"]) > 15, water
    charge = page.evaluate("(() => { const f = formula('\\\\mathrm{Ca}^{2+}'); return [glyphs(f, '2')[0], glyphs(f, '+')[0]]; })()")
    assert charge[1]["left"] - charge[0]["right"] < 1, charge  # "2+", not "2 +"
    assert not page.query_selector_all("code.math-error")


def test_a_long_formula_scrolls_in_its_box_and_the_phone_page_never_sideways(fixture_site, browser):
    for path in (DERIVATIVE, MATRIX, CHEMISTRY):
        page = open_article(browser, fixture_site, path, viewport={"width": 390, "height": 844})
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], (path, widths)
    page = open_article(browser, fixture_site, DERIVATIVE, viewport={"width": 390, "height": 844})
    box = page.evaluate("""(() => {
        const d = formula('(a + b + c + d)^2').closest('.math-display');
        return [d.scrollWidth, d.clientWidth, getComputedStyle(d).overflowX];
    })()""")
    assert box[0] > box[1] and box[2] == "auto", box


def test_copying_a_formula_copies_its_latex(fixture_site, browser):
    page = open_article(browser, fixture_site, DERIVATIVE)
    copied = page.evaluate("""(() => {
        let text = null;
        window.addEventListener('copy', e => { text = e.clipboardData.getData('text/plain'); });
        const paragraph = formula('f(x) = x^2').closest('p');
        const range = document.createRange();
        range.selectNodeContents(paragraph);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        document.execCommand('copy');
        return text;
    })()""")
    assert copied.startswith("For $f(x) = x^2$ this gives $f'(x) = 2x$"), copied
