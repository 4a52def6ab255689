"""Small ORM factories and a page reader for the reader-site tests."""
import datetime
import itertools
import json
from html.parser import HTMLParser

from qa.models import SEO, Answer, Question, RelatedArticle, Subject

_ids = itertools.count(1)


def make_subject(slug="biology", title=None, *, is_listed=True, position=0):
    return Subject.objects.create(
        slug=slug, title=title or slug.replace("-", " ").title(), is_listed=is_listed, position=position
    )


def make_question(
    subject,
    slug=None,
    *,
    question=None,
    body="Cells divide by **mitosis**.",
    status=Question.Status.PUBLISHED,
    date=datetime.date(2025, 1, 24),
    seo_title=None,
    description="How cells divide, in short.",
    keywords="cells, mitosis",
    related=(),
    **fields,
):
    """A question with its answer (rendered through Answer.save) and SEO row.

    ``related`` is a sequence of target URLs (or (url, title) pairs), stored like the import does.
    """
    n = next(_ids)
    slug = slug or f"question-{n}"
    text = question or f"Question number {n}?"
    q = Question.objects.create(
        subject=subject, slug=slug, title=text, article_title=text, question=text, date=date, status=status,
        source_id=fields.pop("source_id", 100_000 + n), **fields,
    )
    Answer.objects.create(question=q, body=body)
    SEO.objects.create(
        question=q,
        title=seo_title if seo_title is not None else f"QuickTakes | {subject.title}",
        page_description=description,
        page_keywords=keywords,
    )
    for position, target in enumerate(related, start=1):
        url, title = target if isinstance(target, tuple) else (target, "")
        RelatedArticle.objects.create(question=q, position=position, target_url=url, target_title=title)
    return q


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
