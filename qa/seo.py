"""What search engines and link previews read: titles, descriptions, canonical URLs, robots,
Open Graph / Twitter tags and schema.org JSON-LD. Views build one PageMeta; base.html prints it."""
import datetime
import html
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from qa.models import Question, Subject

DESCRIPTION_WORDS = 30
# JSON inside <script> must not be able to close the element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


@dataclass(frozen=True)
class Crumb:
    name: str
    path: str


@dataclass
class PageMeta:
    title: str
    canonical: str
    description: str = ""
    keywords: str = ""
    noindex: bool = False
    og_type: str = "website"
    og_title: str = ""
    # Extra Open Graph properties in order, e.g. ("article:section", "Biology").
    og_properties: list[tuple[str, str]] = field(default_factory=list)
    structured_data: list[dict] = field(default_factory=list)
    crumbs: list[Crumb] = field(default_factory=list)  # the visible breadcrumb
    prev_url: str = ""
    next_url: str = ""
    feed_url: str = ""
    feed_title: str = ""

    @property
    def robots(self) -> str:
        return "noindex, follow" if self.noindex else "index, follow"

    @property
    def json_ld(self) -> str:
        """The structured data as <script type="application/ld+json"> elements, safely escaped."""
        scripts = []
        for data in self.structured_data:
            text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
            scripts.append(f'<script type="application/ld+json">{text}</script>')
        return mark_safe("\n".join(scripts))


def page_title(*parts: str) -> str:
    return " | ".join([*parts, settings.SITE_NAME])


def breadcrumb_list(crumbs: list[Crumb]) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": crumb.name, "item": absolute_url(crumb.path)}
            for i, crumb in enumerate(crumbs, start=1)
        ],
    }


def subject_crumbs(subject: Subject) -> list[Crumb]:
    return [Crumb("Learn", reverse("qa:learn-index")), Crumb(subject.title, subject.get_absolute_url())]


def subject_feed(subject: Subject) -> dict:
    """The feed a page announces: only listed subjects have one (see qa.feeds)."""
    if not subject.is_listed:
        return {}
    return {
        "feed_url": reverse("qa:subject-feed", kwargs={"subject": subject.slug}),
        "feed_title": f"{subject.title}: newest questions",
    }


def _seo(question: Question):
    # A missing SEO row is allowed (hand-made articles); the reverse accessor then raises an
    # AttributeError subclass, so getattr falls back.
    return getattr(question, "seo", None)


def _answer_html(question: Question) -> str:
    answer = getattr(question, "answer", None)
    return answer.html if answer else ""


def question_title(question: Question) -> str:
    """The <title>: an editor's own SEO title, else "Question | Subject | QuickTakes".

    Every seed carries the generic "QuickTakes | <Subject>" as its SEO title; that one says
    nothing about the page, so it is treated as unset.
    """
    seo = _seo(question)
    seo_title = seo.title.strip() if seo else ""
    if seo_title and not seo_title.startswith(f"{settings.SITE_NAME} |"):
        return seo_title
    return page_title(question.question, question.subject.title)


def question_description(question: Question) -> str:
    seo = _seo(question)
    if seo and seo.page_description.strip():
        return seo.page_description.strip()
    # Text, not HTML: "&lt;" in the answer is "<" here, escaped once where it is written out.
    return Truncator(html.unescape(strip_tags(_answer_html(question)))).words(DESCRIPTION_WORDS, truncate="…")


def author_name(question: Question) -> str:
    return question.author or settings.SITE_NAME


def _author(question: Question) -> dict:
    name = author_name(question)
    if name == settings.SITE_NAME:
        return {"@type": "Organization", "name": name, "url": absolute_url("/")}
    return {"@type": "Person", "name": name}


def question_meta(question: Question) -> PageMeta:
    subject = question.subject
    path = question.path
    canonical = absolute_url(path)
    description = question_description(question)
    seo = _seo(question)
    keywords = seo.page_keywords.strip() if seo else ""
    crumbs = subject_crumbs(subject)
    published = question.date.isoformat()
    modified = question.content_changed_at.isoformat()
    article = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": question.question,
        "description": description,
        "datePublished": published,
        "dateModified": modified,
        "articleSection": subject.title,
        "author": _author(question),
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME, "url": absolute_url("/")},
        "mainEntityOfPage": canonical,
        "url": canonical,
        "inLanguage": "en",
        "isAccessibleForFree": True,
    }
    if keywords:
        article["keywords"] = keywords
    return PageMeta(
        title=question_title(question),
        canonical=canonical,
        description=description,
        keywords=keywords,
        noindex=question.no_index or not subject.is_listed or not question.is_published(),
        og_type="article",
        og_title=question.question,
        og_properties=[
            ("article:published_time", published),
            ("article:modified_time", modified),
            ("article:section", subject.title),
            ("article:author", author_name(question)),
        ],
        structured_data=[article, breadcrumb_list([*crumbs, Crumb(question.question, path)])],
        crumbs=crumbs,
        **subject_feed(subject),
    )


def listing_page_url(path: str, number: int) -> str:
    """A listing page's URL; page 1 is the bare path so that it has one address only."""
    return f"{path}?page={number}" if number > 1 else path


def subject_meta(subject: Subject, page, total: int) -> PageMeta:
    path = subject.get_absolute_url()

    def page_url(number):
        return listing_page_url(path, number)

    title = subject.title if page.number == 1 else f"{subject.title} (page {page.number})"
    crumbs = subject_crumbs(subject)
    return PageMeta(
        title=page_title(title),
        canonical=absolute_url(page_url(page.number)),
        description=f"{total} questions in {subject.title}, each with a clear, short answer.",
        noindex=not subject.is_listed,
        structured_data=[breadcrumb_list(crumbs)],
        crumbs=crumbs,
        prev_url=page_url(page.previous_page_number()) if page.has_previous() else "",
        next_url=page_url(page.next_page_number()) if page.has_next() else "",
        **subject_feed(subject),
    )


def learn_meta(total: int) -> PageMeta:
    return PageMeta(
        title=page_title("Learn: study questions by subject"),
        canonical=absolute_url(reverse("qa:learn-index")),
        description=f"Browse {total} study questions with clear answers, by subject.",
        structured_data=[
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": settings.SITE_NAME,
                "url": absolute_url("/"),
            }
        ],
        feed_url=reverse("qa:feed"),
        feed_title=f"{settings.SITE_NAME}: newest questions",
    )


def published_datetime(question: Question) -> datetime.datetime:
    """The article's date as an aware datetime (feeds need one)."""
    return datetime.datetime.combine(question.date, datetime.time.min, tzinfo=datetime.UTC)


def search_meta(query_text: str) -> PageMeta:
    """Result pages are never indexed: they would be thin duplicates of the articles."""
    title = f"{query_text} – Search" if query_text else "Search"
    return PageMeta(title=page_title(title), canonical=absolute_url(reverse("qa:search")), noindex=True)
