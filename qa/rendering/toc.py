"""The "On this page" table of contents of a long answer, linking the headings' own anchors.

Built from the sanitised HTML (the pipeline's own heading markup, so its shape is known),
and stored with the answer like the rest of it: pages and the editor's preview show the same.
"""
import re

MIN_HEADINGS = 3
# The renderer writes: <h3 id="slug">Title <a class="header-anchor" href="#slug">#</a></h3>
_HEADING = re.compile(r'<h([23]) id="([^"<>]+)">(.*?) <a class="header-anchor" href="#\2">#</a></h\1>', re.S)
# Links inside a heading's title would nest inside the contents' own link.
_LINK_TAG = re.compile(r"</?a\b[^>]*>")


def table_of_contents(html: str) -> str:
    """A <nav> listing the answer's h2 and h3 headings, or "" when it has fewer than three."""
    headings = _HEADING.findall(html)
    if len(headings) < MIN_HEADINGS:
        return ""
    top = min(level for level, _, _ in headings)
    items = "".join(
        f'<li class="toc__item{" toc__item--sub" if level != top else ""}">'
        f'<a href="#{anchor}">{_LINK_TAG.sub("", title)}</a></li>'
        for level, anchor, title in headings
    )
    return (
        '<nav class="toc" aria-label="On this page"><p class="toc__title">On this page</p>'
        f'<ol class="toc__list">{items}</ol></nav>\n'
    )
