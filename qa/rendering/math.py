r"""Formulas in an answer: placeholders while the Markdown is rendered and sanitised, KaTeX's
output put in after.

KaTeX's HTML needs inline styles and SVG, which the sanitiser's allow-list must never let
through from an answer. So the math rules (qa.rendering.mathsyntax) write a placeholder,
``\ue000<n>\ue001`` (private-use characters, removed from the source first, so an answer
cannot forge one), the rest of the page goes through nh3, and :func:`fill` then typesets
every formula of the answer in one KaTeX call (qa.rendering.katex) and puts the results in.
KaTeX's output is safe by construction: it escapes every character of the source and, with
``trust: false``, makes no link, image, class or style from it.
"""
import html
import re

from qa.rendering import katex

FALLBACK_CLASS = "math-error"
OPEN, CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")


def without_placeholders(text: str) -> str:
    """The Markdown source without the placeholder characters (they mean nothing in prose)."""
    if OPEN in text or CLOSE in text:
        return text.replace(OPEN, "").replace(CLOSE, "")
    return text


def placeholder(latex: str, display: bool, env: dict) -> str:
    """The math rules' render function: note the formula in ``env``, stand in for it."""
    formulas = env.setdefault("formulas", [])
    formulas.append((latex, display))
    return f"{OPEN}{len(formulas) - 1}{CLOSE}"


def fallback(latex: str) -> str:
    """The LaTeX source in a code element, for a formula KaTeX refuses."""
    return f'<code class="{FALLBACK_CLASS}">{html.escape(latex.strip(), quote=False)}</code>'


def fill(sanitised: str, formulas: list[tuple[str, bool]]) -> str:
    """``sanitised`` with each placeholder replaced by its typeset formula (or its source)."""
    if not formulas:
        return sanitised
    typeset = katex.typeset(formulas)
    shown = [result or fallback(latex) for result, (latex, _) in zip(typeset, formulas, strict=True)]
    return _PLACEHOLDER.sub(lambda match: shown[int(match[1])], sanitised)


def count_fallbacks(rendered: str) -> int:
    """How many formulas of a rendered answer are shown as their source."""
    return rendered.count(f'<code class="{FALLBACK_CLASS}">')
