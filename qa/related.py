"""Article links resolved to the current URL of a published article, or not shown at all;
after an article's declared links, the suggestions computed from its text.

Links are stored by the URL the seed declared. Articles move between subjects (the slug
stays), so a URL whose subject no longer holds the slug is followed to the one other
subject that does; when none or several do, the link is dropped rather than shown dead.
"""
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Q, Subquery, Value

from qa.models import MAX_RELATED, Question, SuggestedRelated
from qa.paths import article_path, split_article_path


@dataclass(frozen=True)
class ArticleLink:
    question_id: int
    url: str
    title: str
    subject_title: str


def _pick_subject(declared: str, subjects: dict) -> str | None:
    if declared in subjects:
        return declared
    return next(iter(subjects)) if len(subjects) == 1 else None


def _rows(question: Question, slugs: set[str], suggested: bool):
    """One query: the published articles (not ``question``) with one of ``slugs``, and with
    ``suggested`` those it suggests, each with the rank of its suggestion (None if not one)."""
    wanted = Q(slug__in=slugs)
    rank = Value(None, output_field=IntegerField())
    if suggested:
        suggestions = SuggestedRelated.objects.filter(question=question, hidden=False)
        wanted |= Q(pk__in=suggestions.values("target_id"))
        rank = Subquery(suggestions.filter(target=OuterRef("pk")).values("rank")[:1])
    return (
        Question.objects.published()
        .filter(wanted)
        .exclude(pk=question.pk)
        .annotate(suggested_rank=rank)
        .order_by()
        .values_list("slug", "subject__slug", "subject__title", "question", "pk", "suggested_rank")
    )


def _resolve(question: Question, links, suggested: bool) -> tuple[list[ArticleLink], list[ArticleLink]]:
    """The declared links that lead to a published article, in order, without duplicates or a
    link back to ``question`` itself; and with ``suggested`` its suggestions, by rank."""
    wanted = [parts for parts in (split_article_path(link.target_url) for link in links) if parts]
    if not wanted and not suggested:
        return [], []
    slugs = {slug for _, slug in wanted}
    by_slug: dict[str, dict[str, tuple[str, str, int]]] = defaultdict(dict)
    suggestions = []
    for slug, subject_slug, subject_title, text, pk, rank in _rows(question, slugs, suggested):
        if slug in slugs:
            by_slug[slug][subject_slug] = (subject_title, text, pk)
        if rank is not None:
            link = ArticleLink(question_id=pk, url=article_path(subject_slug, slug), title=text, subject_title=subject_title)
            suggestions.append((rank, link))

    resolved, seen = [], set()
    for declared_subject, slug in wanted:
        subject = _pick_subject(declared_subject, by_slug.get(slug, {}))
        if subject is None or (subject, slug) in seen:
            continue
        seen.add((subject, slug))
        subject_title, text, pk = by_slug[slug][subject]
        url = article_path(subject, slug)
        resolved.append(ArticleLink(question_id=pk, url=url, title=text, subject_title=subject_title))
    return resolved, [link for _, link in sorted(suggestions, key=lambda pair: pair[0])]


def resolve_links(question: Question, links) -> list[ArticleLink]:
    """The links (RelatedArticle rows) that lead to a published article, in order, without
    duplicates or a link back to ``question`` itself. One query, whatever the number of links."""
    return _resolve(question, links, suggested=False)[0]


def related_cards(question: Question) -> list[ArticleLink]:
    """The related cards an article page shows, MAX_RELATED at most: its declared links that lead
    to a published article (:func:`resolve_links`), then its suggestions (qa.suggestions) that
    are not hidden, published and not already shown. Two queries: the links, then both resolved."""
    links = list(question.related_links.all())
    declared, suggested = _resolve(question, links, suggested=len(links) < MAX_RELATED)
    shown = {link.question_id for link in declared}
    return (declared + [link for link in suggested if link.question_id not in shown])[:MAX_RELATED]


def moved_article_url(path: str) -> str | None:
    """For an article path with nothing published at it: the URL of the one published article
    with the same slug under another subject, if exactly one exists."""
    parts = split_article_path(path)
    if parts is None:
        return None
    subject, slug = parts
    others = list(
        Question.objects.published()
        .filter(slug=slug)
        .exclude(subject__slug=subject)
        .order_by()
        .values_list("subject__slug")[:2]
    )
    if len(others) != 1:
        return None
    return article_path(others[0][0], slug)
