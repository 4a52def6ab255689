r"""LaTeX → MathML on the server with latex2mathml (pure Python; browsers render MathML natively).

latex2mathml covers what the seeds write, with a few gaps this module bridges:

* AMS environments it does not know (``aligned``, ``gathered``, ``equation``, ``eqnarray``…)
  are rewritten to ones it does (``align*``, ``\displaylines``, an ``array``);
* a formula with ``\\`` line breaks outside any environment is wrapped in
  ``align*`` (it has ``&``) or ``\displaylines``, because browsers ignore MathML's
  ``linebreak`` attribute and would run the lines together;
* unbalanced ``\left``/``\right`` pairs fall back to plain delimiters;
* ``\%``, ``\$``, ``\&``… inside ``\text{}`` are unescaped.

What still cannot be converted (an unknown command such as ``\ce``, a syntax error, a
macro definition, which could expand without end) is shown as its LaTeX source in
``<code class="math-error">``, never as broken prose.
"""
import functools
import html
import re
from xml.etree.ElementTree import Element, tostring

from latex2mathml.converter import convert_to_element

MAX_FORMULA_CHARS = 5000
FALLBACK_CLASS = "math-error"

# Macro definitions are refused: latex2mathml expands them, and ``\def\a{\a\a}\a`` never ends.
_MACRO_DEFINITION = re.compile(
    r"\\(?:def|gdef|edef|xdef|let|newcommand|renewcommand|providecommand|DeclareMathOperator|newenvironment)(?![A-Za-z])"
)
_ENVIRONMENTS = [
    (re.compile(r"\\begin\{aligned\}"), r"\\begin{align*}"),
    (re.compile(r"\\end\{aligned\}"), r"\\end{align*}"),
    (re.compile(r"\\begin\{alignedat\}\{\d+\}"), r"\\begin{align*}"),
    (re.compile(r"\\end\{alignedat\}"), r"\\end{align*}"),
    (re.compile(r"\\begin\{(?:gathered|gather\*?|multline\*?)\}"), r"\\displaylines{"),
    (re.compile(r"\\end\{(?:gathered|gather\*?|multline\*?)\}"), "}"),
    (re.compile(r"\\begin\{eqnarray\*?\}"), r"\\begin{array}{rcl}"),
    (re.compile(r"\\end\{eqnarray\*?\}"), r"\\end{array}"),
    (re.compile(r"\\(?:begin|end)\{equation\*?\}"), ""),
]
_TOKEN = re.compile(r"\\begin\{[^}]*\}|\\end\{[^}]*\}|\\\\|\\[A-Za-z]+|\\.|[{}&]")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|middle)(?![A-Za-z])\s*(\.)?")
_TEXT_ESCAPE = re.compile(r"\\([$%&_#{} ])")
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


def _top_level_marks(latex: str) -> tuple[bool, bool]:
    """Whether ``latex`` has ``\\`` and ``&`` outside braces and environments."""
    depth, breaks, ampersands = 0, False, False
    for token in _TOKEN.findall(latex):
        if token == "{" or token.startswith("\\begin"):
            depth += 1
        elif token == "}" or token.startswith("\\end"):
            depth -= 1
        elif depth == 0 and token == "\\\\":
            breaks = True
        elif depth == 0 and token == "&":
            ampersands = True
    return breaks, ampersands


def prepare(latex: str) -> str:
    """Rewrite ``latex`` into the subset latex2mathml converts faithfully."""
    if "\\begin{" in latex:
        for pattern, replacement in _ENVIRONMENTS:
            latex = pattern.sub(replacement, latex)
    breaks, ampersands = _top_level_marks(latex)
    if ampersands:
        latex = f"\\begin{{align*}}{latex}\\end{{align*}}"
    elif breaks:
        latex = f"\\displaylines{{{latex}}}"
    return latex


def _convert(latex: str, display: bool) -> str | None:
    mathml = _try_convert(latex, display)
    if mathml is None and _LEFT_RIGHT.search(latex):
        # "\left(" … "\right)" spanning the rows of an aligned block: latex2mathml refuses it
        # or swallows the row breaks. Plain delimiters lose only the stretching.
        mathml = _try_convert(_LEFT_RIGHT.sub(lambda m: "" if m.group(1) else " ", latex), display)
    return mathml


def _try_convert(latex: str, display: bool) -> str | None:
    try:
        tree = convert_to_element(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001
        # latex2mathml signals bad input with its own exceptions, but malformed input also
        # surfaces as errors of its hand-written parser (StopIteration, IndexError,
        # RecursionError for deep nesting…). Any of them means "cannot convert".
        return None
    for element in list(tree.iter()):
        if element.tag == "mover":
            _fix_accent(element)
        elif len(element) > 2:
            _group_matrix_delimiters(element)
        text = element.text or ""
        if element.tag == "mtext":
            text = element.text = _TEXT_ESCAPE.sub(r"\1", text)
        # A command latex2mathml does not know is copied through as text (<mi>\ce</mi>),
        # a stray alignment "&" as <mi>&</mi>.
        if "\\" in text or (element.tag == "mi" and text == "&"):
            return None
    # latex2mathml's own serialisation unescapes all text (so \text{<b>} would become
    # markup); it writes symbols as "&#x…;" strings, the only references to keep.
    return tostring(tree, encoding="unicode").replace("&amp;#x", "&#x").replace(_XMLNS, "", 1)


# \vec and \bar come out as stretchy arrows/bars spanning their base like \overrightarrow;
# in LaTeX they are fixed-size accents.
_FIXED_ACCENTS = {"&#x02192;", "&#x000AF;"}


def _fix_accent(mover) -> None:
    accent = mover[-1] if len(mover) == 2 else None
    if accent is not None and accent.tag == "mo" and accent.get("stretchy") == "true" and accent.text in _FIXED_ACCENTS:
        accent.set("stretchy", "false")
        mover.set("accent", "true")


# ( ) [ ] { } | ‖ ⟨ ⟩ as latex2mathml writes them.
_DELIMITERS = {"(", ")", "[", "]", "{", "}", "|"} | {
    f"&#x{code:05X};" for code in (0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x7C, 0x2016, 0x27E8, 0x27E9)
}


def _group_matrix_delimiters(parent) -> None:
    """Put a matrix and its delimiters ( ) | | [ ] in an mrow of their own, delimiters stretchy.

    latex2mathml writes them as siblings in the surrounding row, where a "|" between
    "=" signs is an infix operator and keeps its text size instead of spanning the matrix.
    """
    index = 1
    while index < len(parent) - 1:
        before, matrix, after = parent[index - 1], parent[index], parent[index + 1]
        if (
            matrix.tag == "mtable"
            and before.tag == "mo" and before.text in _DELIMITERS
            and after.tag == "mo" and after.text in _DELIMITERS
        ):
            group = Element("mrow")
            for child in (before, matrix, after):
                parent.remove(child)
                group.append(child)
            before.set("stretchy", "true")
            after.set("stretchy", "true")
            parent.insert(index - 1, group)
        index += 1


def fallback(latex: str) -> str:
    """The LaTeX source in a code element, for a formula that cannot be typeset."""
    return f'<code class="{FALLBACK_CLASS}">{html.escape(latex.strip(), quote=False)}</code>'


@functools.lru_cache(maxsize=8192)
def latex_to_mathml(latex: str, display: bool = False) -> str:
    """``<math>`` for a LaTeX formula, or :func:`fallback` when it cannot be converted.

    Memoised: formulas repeat across answers (``$x$``, ``\\(P\\)``…).
    """
    source = latex.strip()
    if not source or len(source) > MAX_FORMULA_CHARS or _MACRO_DEFINITION.search(source):
        return fallback(latex)
    return _convert(prepare(source), display) or fallback(latex)
