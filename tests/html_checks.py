r"""What a reader sees, shared by the rendering and page tests.

* :class:`Page` (:func:`page_of` for a test client's response) — a rendered page's title,
  headings, meta and link tags, links and JSON-LD;
* :func:`visible_text` — the text of an HTML fragment or page as a reader sees it,
  leaving out math, code, scripts, styles and the document head;
* :func:`latex_leaks` — LaTeX that escaped typesetting (``\frac``, ``\alpha``, ``$$``,
  ``\(``…) in such text;
* :func:`currency_amounts` — the prices in a Markdown source (``$7.25``, ``$26,000``,
  ``US$27``), which must reach the reader as written;
* :func:`missing_amounts` — those of them a text does not show;
* :func:`unsafe_markup` — elements and attributes that could run script.

Typical use::

    text = visible_text(html)
    assert not latex_leaks(text)
    assert not missing_amounts(currency_amounts(markdown), text)
    assert not unsafe_markup(html)
"""
import json
import re
from collections import Counter
from functools import cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt

# Elements whose content is not prose a reader reads: typeset math, code, and what is never shown.
HIDDEN_ELEMENTS = frozenset({"math", "code", "pre", "script", "style", "template", "head", "title"})
# Elements that break the text flow: their boundaries become line breaks, so words from
# two table cells or list items never run together into something that looks like "$$".
BLOCK_ELEMENTS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_ELEMENTS and tag not in VOID_ELEMENTS:
            self.hidden += 1
        self._break(tag)

    def handle_startendtag(self, tag, attrs):
        self._break(tag)  # <mi /> and friends: nothing opened, nothing to close

    def handle_endtag(self, tag):
        if tag in HIDDEN_ELEMENTS and self.hidden:
            self.hidden -= 1
            # A formula between two words still separates them.
            self.parts.append(" ")
        self._break(tag)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    def _break(self, tag):
        if tag in BLOCK_ELEMENTS:
            self.parts.append("\n")


def visible_text(html: str) -> str:
    """The text a reader sees in ``html`` (a fragment or a whole page), without math and code."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


@cache
def latex_command_names() -> frozenset[str]:
    """Every LaTeX command latex2mathml knows (``frac``, ``alpha``, ``text``…), without the backslash."""
    from latex2mathml import commands
    from latex2mathml.symbols_parser import SYMBOLS

    names = {value for value in vars(commands).values() if isinstance(value, str)} | set(SYMBOLS)
    return frozenset(name[1:] for name in names if re.fullmatch(r"\\[A-Za-z]+", name))


_LATEX_TOKEN = re.compile(r"\\([A-Za-z]+)|\$\$|\\[()\[\]]")
# A $…$ pair with TeX syntax inside ($x^2$, $H_2O$, $\frac…$): a formula left raw.
_RAW_DOLLAR_FORMULA = re.compile(r"\$[^\s$](?:[^$\n]*?[\^_{}\\])[^$\n]*?(?<=\S)\$(?!\d)")


def latex_leaks(text: str) -> list[str]:
    r"""LaTeX in reader-visible ``text``: known macros (``\frac``), the delimiters ``$$``,
    ``\(``, ``\)``, ``\[``, ``\]``, and ``$…$`` pairs with TeX syntax inside."""
    names = latex_command_names()
    leaks = [
        match.group(0)
        for match in _LATEX_TOKEN.finditer(text)
        if match.group(1) is None or match.group(1) in names
    ]
    return leaks + _RAW_DOLLAR_FORMULA.findall(text)


# A price: "$" and a number ("$7.25", "$26,000", "$1.7 trillion", "$5M"), where what follows
# the number is prose, not formula syntax: "$8 = 2^3$", "$1 \times 10^{-7}$", "$2x^2$",
# "$72$" and "$1, 2, 3$" are math, "$20/month", "$5–$10" and "$100 (i.e." are prices.
_AMOUNT = re.compile(
    r"(?<![$\\])\$(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[KMBkmb](?![A-Za-z]))?"
    r"(?=\s*$|\s+[A-Za-z(\"'“‘]|\s*[.,;:!?)\]|*](?!\s*\d)|\s*/|[-–—]\$?\d|\s+[-–—]\s)",
    re.MULTILINE,
)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


@cache
def _block_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _without_code(markdown: str) -> str:
    """``markdown`` with fenced and indented code blocks and code spans blanked out."""
    lines = markdown.split("\n")
    for token in _block_parser().parse(markdown):
        if token.type in ("fence", "code_block") and token.map:
            start, end = token.map
            lines[start:end] = [""] * (end - start)
    return _INLINE_CODE.sub(" ", "\n".join(lines))


def currency_amounts(markdown: str) -> list[str]:
    """The prices written in a Markdown source, in order, outside code (``$26,000``…)."""
    return [match.group(0) for match in _AMOUNT.finditer(_without_code(markdown))]


def missing_amounts(amounts: list[str], text: str) -> list[str]:
    """The amounts that ``text`` shows fewer times than listed (``$2`` in ``$20`` does not count)."""
    missing = []
    for amount, wanted in Counter(amounts).items():
        shown = len(re.findall(re.escape(amount) + r"(?![\d]|[.,]\d)", text))
        if shown < wanted:
            missing.append(amount)
    return missing


SCRIPT_ELEMENTS = frozenset({"script", "iframe", "frame", "object", "embed", "applet", "base", "form", "meta", "link"})
_SCRIPT_URL = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
_URL_NOISE = re.compile(r"[\x00-\x20]+")


class _UnsafeMarkup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in SCRIPT_ELEMENTS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            # Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
            elif value and _SCRIPT_URL.match(_URL_NOISE.sub("", value)):
                self.found.append(f"<{tag} {name}={value[:40]!r}>")

    handle_startendtag = handle_starttag


def unsafe_markup(html: str, allowed=frozenset()) -> list[str]:
    """Elements that run or load code (``<script>``, ``<iframe>``…), ``on*=`` event handlers and
    ``javascript:``/``vbscript:``/``data:`` URLs in ``html``, as short descriptions.

    ``allowed`` names elements a whole page may legitimately carry (e.g. ``{"meta", "link"}``, or
    ``"script"`` for JSON-LD); answer HTML allows none of them.
    """
    parser = _UnsafeMarkup()
    parser.feed(html)
    parser.close()
    return [item for item in parser.found if item.strip("<>").split()[0] not in allowed]


# -- whole pages ------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a test needs from a rendered page: title, h1s, meta and link tags, anchors, JSON-LD."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.title = ""
        self.h1 = []
        self.meta = {}  # name or property → content
        self.links = []  # (rel, href)
        self.anchors = []  # (href, text, attrs)
        self.json_ld = []
        self._text = []
        self._hidden = 0  # inside <head>, <script> or <style>
        self._stack = []  # (tag, attrs, collected text)
        self.feed(html)
        self.close()

    @property
    def text(self):
        """The page's visible text, whitespace collapsed."""
        return " ".join("".join(self._text).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"head", "script", "style"}:
            self._hidden += 1
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("name") or attrs["property"]] = attrs.get("content", "")
        elif tag == "link":
            self.links.append((attrs.get("rel", ""), attrs.get("href", "")))
        elif tag in {"title", "h1", "a", "script"}:
            self._stack.append((tag, attrs, []))

    def handle_data(self, data):
        if not self._hidden:
            self._text.append(data)
        for _, _, text in self._stack:
            text.append(data)

    def handle_endtag(self, tag):
        if tag in {"head", "script", "style"}:
            self._hidden -= 1
        if not self._stack or self._stack[-1][0] != tag:
            return
        _, attrs, parts = self._stack.pop()
        text = " ".join("".join(parts).split())
        if tag == "title":
            self.title = text
        elif tag == "h1":
            self.h1.append(text)
        elif tag == "a":
            self.anchors.append((attrs.get("href", ""), text, attrs))
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self.json_ld.append(json.loads("".join(parts)))

    def link(self, rel):
        return next((href for r, href in self.links if r == rel), None)

    def hrefs(self, css_class=None):
        """The links' targets, or only those of links with this class."""
        return [href for href, _, attrs in self.anchors if css_class is None or attrs.get("class") == css_class]

    def structured(self, type_):
        return next(data for data in self.json_ld if data.get("@type") == type_)


def page_of(response) -> Page:
    return Page(response.content.decode())


def watch_errors(page):
    """Collect a browser page's script errors in ``page.errors``: uncaught ones, and console errors
    too (a Content-Security-Policy refusal shows up only there); failed requests are left to the
    tests that check addresses (browsers ask for /favicon.ico on their own). Returns the page."""
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error"
        and not message.text.startswith("Failed to load resource")
        and page.errors.append(message.text),
    )
    return page
