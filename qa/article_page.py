"""An article page's parts that do not change per request, rendered once and stored.

The head (meta tags, JSON-LD) and the main content around the answer (breadcrumb, heading,
related cards, links) depend on the article and on a few other rows: its subject and the
articles its related cards name. They are rendered once and kept in RenderedArticle, under the
article's path, with the names of what they show (qa.serving.changes), so an uncached article page
costs one single-table query by path (the stored parts with the answer's HTML) and the site's frame
around them.

The parts are rendered anew after an editor's save, and on the first request after anything
they show changed, or after a deploy changed the code or templates that make them (FORMAT).
A stored row is found by the path it was stored under; when the article left it (unpublished,
moved) the row is stale (``path:<path>`` changed, or the article is no longer published), the
request reads the article itself, finds nothing there and deletes the row.
Staff previews render them without storing.
"""
import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.db.models import prefetch_related_objects
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from qa import seo
from qa.context_processors import site
from qa.models import Answer, Question, RenderedArticle
from qa.paths import article_path, split_article_path
from qa.related import related_cards
from qa.serving.changes import Knowledge, path_name, slug_name, subject_name

log = logging.getLogger(__name__)

ANSWER_SLOT = "<!--qa:answer-->"  # escaped text can never hold it: "<" becomes "&lt;"


@functools.cache
def _code_digest() -> str:
    """A digest of the code and templates that render the parts: a deploy that changes them
    makes every stored part stale."""
    roots = [Path(__file__).resolve().parent]
    for engine in engines.all():
        roots += [Path(d) for d in getattr(engine, "dirs", [])]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def parts_format() -> str:
    """What the stored parts were made by: the code, the templates and the site's name and URL."""
    site = hashlib.sha256(f"{settings.SITE_NAME}|{settings.SITE_URL}".encode()).hexdigest()[:8]
    return f"{_code_digest()}-{site}"


@dataclass(frozen=True)
class ArticlePage:
    question_id: int
    path: str
    title: str
    head: str
    before: str
    answer: str
    after: str
    dependencies: frozenset[str]


def _dependencies(question: Question, cards) -> frozenset[str]:
    """The names of what the parts show: the article's address and subject, and for its related
    cards the slugs declared (one may start to resolve) and the articles and subjects shown."""
    names = {path_name(question.path), subject_name(question.subject.slug)}
    for link in question.related_links.all():
        parts = split_article_path(link.target_url)
        if parts:
            names.add(slug_name(parts[1]))
    for card in cards:
        subject, slug = split_article_path(card.url)
        names |= {slug_name(slug), subject_name(subject)}
    return frozenset(names)


def render_page(question: Question) -> ArticlePage:
    """Render the parts of ``question`` (with its subject, answer and SEO loaded)."""
    prefetch_related_objects([question], "related_links")
    cards = related_cards(question)
    meta = seo.question_meta(question)
    head = render_to_string("includes/page_meta.html", {"meta": meta, "SITE_NAME": settings.SITE_NAME})
    main = render_to_string(
        "qa/article_main.html",
        {"question": question, "subject": question.subject, "related": cards, "meta": meta,
         "answer_slot": mark_safe(ANSWER_SLOT)},
    )
    before, _, after = main.partition(ANSWER_SLOT)
    return ArticlePage(
        question_id=question.pk,
        path=question.path,
        title=meta.title or settings.SITE_NAME,
        head=head,
        before=before,
        answer=question.answer.html,
        after=after,
        dependencies=_dependencies(question, cards),
    )


def _store(page: ArticlePage, seq: int) -> None:
    row = RenderedArticle(
        question_id=page.question_id, path=page.path, format=parts_format(), seq=seq,
        dependencies=" ".join(sorted(page.dependencies)), title=page.title, head=page.head, before=page.before,
        after=page.after,
    )
    try:
        # The path may still hold the stale row of an article that left it.
        RenderedArticle.objects.filter(path=page.path).exclude(question_id=page.question_id).delete()
        RenderedArticle.objects.bulk_create(
            [row], update_conflicts=True, unique_fields=["question"],
            update_fields=["path", "format", "seq", "dependencies", "title", "head", "before", "after"],
        )
    except DatabaseError as exc:  # a busy database costs the next request a render, nothing more
        log.warning("could not store the rendered parts of article %s: %s", page.question_id, exc)


def _forget(**where) -> None:
    try:
        RenderedArticle.objects.filter(**where).delete()
    except DatabaseError as exc:  # the row is stale: every request reads the article itself until it goes
        log.warning("could not delete the rendered parts at %s: %s", where, exc)


def _load(pk: int) -> Question:
    return Question.objects.select_related("subject", "answer", "seo").get(pk=pk)


# The one query of an uncached article page, written out: the ORM builds it in more time than the
# rest of the page costs, and PostgreSQL plans a join of the article's tables (by subject and slug)
# in about 0.4 ms, twice what it takes to run. Found by path, with the answer's HTML and whether
# the article is still published (Question.is_published) as subqueries by key, it plans in 0.1 ms.
PAGE_SQL = """
SELECT r.question_id, (SELECT a.html FROM {answer} a WHERE a.question_id = r.question_id),
       (SELECT q.status = %s AND (q.publish_at IS NULL OR q.publish_at <= %s) FROM {question} q WHERE q.id = r.question_id),
       r.format, r.seq, r.dependencies, r.title, r.head, r.{before}, r.{after}
FROM {rendered} r
WHERE r.path = %s
"""


@functools.cache
def _page_sql(vendor: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name  # the same on every alias of one vendor
    return PAGE_SQL.format(
        before=quote("before"), after=quote("after"), answer=Answer._meta.db_table, question=Question._meta.db_table,
        rendered=RenderedArticle._meta.db_table,
    )


def published_page(subject: str, slug: str, known: Knowledge) -> ArticlePage | None:
    """The page of the article published at ``subject``/``slug``, or None.

    One query when its stored parts are current; otherwise the article is read, and its parts
    rendered and stored anew, marked with the last change ``known`` had seen."""
    path = article_path(subject, slug)
    database = connections[router.db_for_read(RenderedArticle)]  # a reader's read may go to the replica
    now = database.ops.adapt_datetimefield_value(timezone.now())
    with database.cursor() as cursor:
        cursor.execute(_page_sql(database.vendor), [Question.Status.PUBLISHED, now, path])
        row = cursor.fetchone()
    if row is not None:
        pk, answer, live, stored_format, seq, dependencies, title, head, before, after = row
        names = dependencies.split()
        if live and stored_format == parts_format() and not known.changed_since(seq, names):
            return ArticlePage(pk, path, title, head, before, answer or "", after, frozenset(names))
    question = Question.objects.published().select_related("subject", "answer", "seo").at_path(subject, slug).first()
    if question is None:
        if row is not None:
            _forget(path=path)
        return None
    page = render_page(question)
    _store(page, known.seq)
    return page


# The site's frame around an article (base.html: header, stylesheets, footer) is the same for
# every article: rendered once per process (and year, for the footer), with slots for the parts.
TITLE_SLOT, HEAD_SLOT, BODY_SLOT = "<!--qa:title-->", "<!--qa:head-->", "<!--qa:body-->"


@functools.cache
def _frame(year: int) -> tuple[str, str, str, str]:
    slots = ArticlePage(0, "", mark_safe(TITLE_SLOT), HEAD_SLOT, BODY_SLOT, "", "", frozenset())
    html = render_to_string("qa/question_detail.html", {"page": slots, **site(None)})
    start, rest = html.split(TITLE_SLOT)
    middle, rest = rest.split(HEAD_SLOT)
    before_body, end = rest.split(BODY_SLOT)
    return start, middle, before_body, end


def page_html(page: ArticlePage) -> str:
    """The whole page of ``page``: its parts in the site's frame, as qa/question_detail.html renders it."""
    start, middle, before_body, end = _frame(timezone.now().year)
    return "".join((start, escape(page.title), middle, page.head, before_body, page.before, page.answer, page.after, end))


def render_and_store(question_id: int, known: Knowledge) -> None:
    """Render and store the parts of a published article now (after an editor's save)."""
    question = _load(question_id)
    if question.is_published():
        _store(render_page(question), known.seq)
    else:
        _forget(question_id=question_id)
