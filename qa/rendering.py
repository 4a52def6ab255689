"""The one Markdown → safe HTML pipeline (pages, admin preview, import).

Placeholder: CommonMark with tables, sanitised. The reader-site work replaces the
internals (math, highlighting, anchors) without changing the signature.
"""
import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    return nh3.clean(_md.render(text or ""))
