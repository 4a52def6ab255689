"""The one Markdown → safe HTML pipeline: pages (stored in Answer.html), the admin preview
(MARKDOWNX_MARKDOWNIFY_FUNCTION) and the import all call :func:`render_markdown`.

CommonMark (markdown-it-py) with GFM tables and strikethrough, math typeset by KaTeX on
the server (qa.rendering.mathsyntax finds it, qa.rendering.math puts KaTeX's output in after
the sanitiser), fenced code highlighted by Pygments (classes styled by static/css/code.css),
headings with id anchors and, for a long answer, a table of contents (qa.rendering.toc).
Raw HTML in the Markdown is not parsed, and the result goes through nh3 with an explicit
allow-list.
"""
import functools
import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import table
from mdit_py_plugins.anchors import anchors_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from qa.rendering import math
from qa.rendering.mathsyntax import math_plugin
from qa.rendering.toc import table_of_contents

PYGMENTS_STYLE = "default"
PYGMENTS_DARK_STYLE = "github-dark"  # made for a #0d1117 box: site.css's dark --code-bg
CODE_CSS_SCOPE = ".highlight"
# Heading ids must not collide with the ids of the page around the answer.
RESERVED_IDS = frozenset({"content", "related-title", "site-search-q"})

# The longest real answer has 4,397 characters; the renderer takes no more than this (the
# worst that fits renders in well under 2 s: bench/bench_render_worst.py). The admin and
# the import refuse longer answers with their own messages.
MAX_ANSWER_CHARS = 30_000
# Real answers have at most 5 rows and 5 columns, 16 cells (the sample, 2,552 answers).
MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, MAX_TABLE_CELLS = 50, 1000, 10_000
_TABLE_CELLS = "qa_table_cells"  # key in markdown-it's env: the answer's cells so far

# ---- Sanitiser allow-list -------------------------------------------------------------
HTML_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span", "div",
}
ATTRIBUTES = {
    **{heading: {"id"} for heading in ("h1", "h2", "h3", "h4", "h5", "h6")},
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
# Pygments' short token classes (k, nf, s2…) plus the pipeline's own.
ALLOWED_CLASSES = {
    "span": {cls for cls in STANDARD_TYPES.values() if cls} | {"math-display"},
    "pre": {"highlight"},
    "div": {"math-display"},
    "a": {"header-anchor"},
}
SANITIZER = nh3.Cleaner(
    tags=HTML_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    # Table alignment is the only inline style the renderer writes.
    filter_style_properties={"text-align"},
    url_schemes={"http", "https", "mailto"},
    # rel is set by the renderer (external links only), not blanket on every link.
    link_rel=None,
    strip_comments=True,
)

_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


_FORMATTER = HtmlFormatter(nowrap=True)


@functools.lru_cache(maxsize=128)
def _lexer(name: str):
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def _highlight(code: str, lang: str, attrs) -> str:
    """Server-side highlighting; unknown or missing languages are shown plain."""
    lexer = _lexer(lang.split()[0].lower()) if lang.strip() else None
    body = highlight(code, lexer, _FORMATTER) if lexer else html.escape(code, quote=False)
    return f'<pre class="highlight"><code>{body}</code></pre>'


def _slug(title: str) -> str:
    slug = "-".join(re.sub(r"[^\w\- ]", "", title.lower()).split()).strip("-") or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


def _heading_ids(state) -> None:
    """Give every heading a unique id, in time linear in the input.

    mdit_py_plugins' anchors plugin tries ``h``, ``h-1``, ``h-2``… from 1 for every repeated
    heading: quadratic, minutes for 50,000 identical lines. Here each slug remembers the next
    number to try, which gives the same ids. The plugin keeps ids already set and only adds
    the "#" links.
    """
    taken: set[str] = set()
    next_number: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        children = state.tokens[index + 1].children or []
        slug = _slug("".join(child.content for child in children if child.type in ("text", "code_inline")))
        unique, number = slug, next_number.get(slug, 1)
        while unique in taken:
            unique, number = f"{slug}-{number}", number + 1
        next_number[slug] = number
        taken.add(unique)
        token.attrSet("id", unique)


def _bounded_table(state, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's GFM table rule, within bounds: a header row with fewer cells than the
    delimiter row says is filled out in every row, so ``|`` lines under a 200-column header
    made 13 MB of cells from 30 KB (15 s). At most MAX_TABLE_COLUMNS columns and
    MAX_TABLE_ROWS rows a table, MAX_TABLE_CELLS cells an answer; beyond, the lines are text.
    """
    if start_line + 1 >= end_line:
        return False
    delimiter = state.src[state.bMarks[start_line + 1] : state.eMarks[start_line + 1]]
    columns = delimiter.count("|") + 1  # at least as many as the table can have
    used = state.env.get(_TABLE_CELLS, 0)
    rows = min(MAX_TABLE_ROWS, (MAX_TABLE_CELLS - used) // columns - 1)  # the header row is one
    if columns > MAX_TABLE_COLUMNS or rows < 0:
        return False
    first = len(state.tokens)
    if not table(state, start_line, min(end_line, start_line + 2 + rows), silent):
        return False
    if not silent:
        state.env[_TABLE_CELLS] = used + sum(1 for t in state.tokens[first:] if t.type in ("th_open", "td_open"))
    return True


def _demote_h1(state) -> None:
    """The page's only h1 is the question, so an answer's top-level headings become h2."""
    for token in state.tokens:
        if token.tag == "h1" and token.type in ("heading_open", "heading_close"):
            token.tag = "h2"


def _render_link_open(self, tokens, idx, options, env):
    token = tokens[idx]
    if _EXTERNAL.match(token.attrGet("href") or "") and not token.attrGet("class"):
        token.attrSet("rel", "nofollow noopener")
    return self.renderToken(tokens, idx, options, env)


def _render_image(self, tokens, idx, options, env):
    """Pages make no request to other hosts: a remote image becomes a link to it."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if _EXTERNAL.match(src):
        alt = self.renderInlineAsText(token.children or [], options, env) or src
        return f'<a href="{html.escape(src)}" rel="nofollow noopener">{html.escape(alt, quote=False)}</a>'
    return self.image(tokens, idx, options, env)


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.use(math_plugin, render_math=math.placeholder)
    md.core.ruler.push("demote_h1", _demote_h1)
    md.core.ruler.push("heading_ids", _heading_ids)  # before the anchors plugin's own rule
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=_slug, permalink=True, permalinkSymbol="#")
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


_MD = _build()


class AnswerTooLong(ValueError):
    pass


def too_long(text: str | None) -> str:
    """Why the renderer refuses ``text`` ("" when it takes it)."""
    if text and len(text) > MAX_ANSWER_CHARS:
        return f"The answer is longer than {MAX_ANSWER_CHARS:,} characters ({len(text):,})."
    return ""


def _source(text: str | None) -> str:
    if problem := too_long(text):
        raise AnswerTooLong(problem)
    return math.without_placeholders(text or "")


def render_markdown(text: str) -> str:
    """Markdown with math → sanitised HTML, ready to be stored and marked safe.

    Raises AnswerTooLong for more than MAX_ANSWER_CHARS characters.
    """
    env: dict = {}
    sanitised = SANITIZER.clean(_MD.render(_source(text), env))
    return math.fill(table_of_contents(sanitised) + sanitised, env.get("formulas", []))


def formulas_in(text: str) -> list[tuple[str, bool]]:
    """The formulas the pipeline finds in Markdown ``text``: (LaTeX, display) in order."""
    env: dict = {}
    _MD.render(_source(text), env)  # the math rules note formulas as they render
    return env.get("formulas", [])


def pygments_stylesheet() -> str:
    """The CSS for the highlighting classes, as committed in static/css/code.css.

    Token colours only, scoped to ``.highlight``: the box around the code is site.css's
    (light, dark under ``prefers-color-scheme: dark`` on screens; paper keeps the light
    colours). In the dark block a reset of every token class comes first, so nothing of the
    light style (a bold keyword, a red error border) shows through where the dark style is
    silent; the dark rules, of equal specificity and later, then win.
    """
    light = HtmlFormatter(style=PYGMENTS_STYLE).get_token_style_defs(CODE_CSS_SCOPE)
    dark = HtmlFormatter(style=PYGMENTS_DARK_STYLE).get_token_style_defs(CODE_CSS_SCOPE)
    reset = (f"  {CODE_CSS_SCOPE} [class] {{ color: inherit; background-color: transparent; font-weight: inherit; "
             "font-style: inherit; text-decoration: none; border: 0; }")
    header = (f"/* Pygments '{PYGMENTS_STYLE}' colours for server-highlighted code, '{PYGMENTS_DARK_STYLE}' "
              "in dark mode. Generated by: python manage.py code_css */")
    return "\n".join([header, *light, "@media screen and (prefers-color-scheme: dark) {",
                      reset, *(f"  {rule}" for rule in dark), "}"]) + "\n"
