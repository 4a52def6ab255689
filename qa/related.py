"""Article links resolved to the current URL of a published article, or not shown at all.

Links are stored by the URL the seed declared. Articles move between subjects (the slug
stays), so a URL whose subject no longer holds the slug is followed to the one other
subject that does; when none or several do, the link is dropped rather than shown dead.
"""
from collections import defaultdict
from dataclasses import dataclass

from qa.models import Question
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


def resolve_links(question: Question, links) -> list[ArticleLink]:
    """The links (RelatedArticle rows) that lead to a published article, in order, without
    duplicates or a link back to ``question`` itself. One query, whatever the number of links."""
    wanted = [parts for parts in (split_article_path(link.target_url) for link in links) if parts]
    if not wanted:
        return []
    by_slug: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    rows = (
        Question.objects.published()
        .filter(slug__in={slug for _, slug in wanted})
        .exclude(pk=question.pk)
        .order_by()
        .values_list("slug", "subject__slug", "subject__title", "question", "pk")
    )
    for slug, subject_slug, subject_title, text, pk in rows:
        by_slug[slug][subject_slug] = (subject_title, text, pk)

    resolved, seen = [], set()
    for declared_subject, slug in wanted:
        subject = _pick_subject(declared_subject, by_slug.get(slug, {}))
        if subject is None or (subject, slug) in seen:
            continue
        seen.add((subject, slug))
        subject_title, text, pk = by_slug[slug][subject]
        url = article_path(subject, slug)
        resolved.append(ArticleLink(question_id=pk, url=url, title=text, subject_title=subject_title))
    return resolved


def related_cards(question: Question) -> list[ArticleLink]:
    """The related cards an article page shows, in order: its declared links that resolve to a
    published article (:func:`resolve_links`)."""
    return resolve_links(question, question.related_links.all())


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
