"""Suggested related articles in the database: computed from the stored terms once per import
and on an editor's save (never per request), then accepted or hidden by editors.

Only articles that declare fewer than MAX_RELATED links get suggestions; a hidden row stays, so
that no recomputation offers its target again.
"""
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from qa.imports.bulk import delete_rows, insert_rows
from qa.models import MAX_RELATED, SEO, ArticleTerms, Question, RelatedArticle, SuggestedRelated
from qa.paths import article_path, split_article_path
from qa.serving import changes
from qa.suggestions import terms

IN_CHUNK = 900  # ids per IN (...) list, under every database's parameter limit


def _chunks(values: list, size: int = IN_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def store_terms(pairs: list[tuple[int, bytes]]) -> None:
    """Replace the stored terms of these articles: (pk, :func:`terms.pack` bytes)."""
    delete_rows(ArticleTerms, "question", [pk for pk, _ in pairs])
    insert_rows(ArticleTerms, ["question_id", "terms"], pairs)


def pack_article(pk: int) -> bytes:
    question = Question.objects.filter(pk=pk).values_list("question", flat=True).get()
    seo = SEO.objects.filter(question_id=pk).values_list("page_keywords", "page_description").first() or ("", "")
    return terms.pack(question, *seo)


def refresh(pks: Iterable[int] | None = None, workers: int = 1) -> int:
    """Recompute the suggestions of the articles ``pks`` (every article when None) against every
    published one, in ``workers`` processes; return how many suggestions were stored."""
    # numpy and scipy load here, when suggestions are computed, not in every process that starts.
    from qa.suggestions import similarity

    rows = list(ArticleTerms.objects.order_by().values_list("question_id", "question__subject_id", "terms"))
    live = set(Question.objects.published().order_by().values_list("pk", flat=True))
    position = {pk: i for i, (pk, _, _) in enumerate(rows)}
    wanted = list(position) if pks is None else [pk for pk in set(pks) if pk in position]

    declared, excluded = _declared_targets(None if pks is None else wanted)
    hidden = SuggestedRelated.objects.filter(hidden=True).values_list("question_id", "target_id")
    for chunk in [None] if pks is None else _chunks(wanted):
        for question_id, target_id in hidden if chunk is None else hidden.filter(question_id__in=chunk):
            excluded[question_id].add(target_id)
    queries = [pk for pk in wanted if declared[pk] < MAX_RELATED]
    found = similarity.nearest(
        [packed for _, _, packed in rows],
        [subject for _, subject, _ in rows],
        [position[pk] for pk in queries],
        excluded={position[pk]: {position[t] for t in excluded[pk] if t in position} for pk in queries if pk in excluded},
        eligible=[pk in live for pk, _, _ in rows],
        workers=workers,
    )
    new_rows = [
        (rows[query][0], rows[target][0], rank, False)
        for query, targets in found.items()
        for rank, target in enumerate(targets, start=1)
    ]
    with transaction.atomic():
        stale = SuggestedRelated.objects.filter(hidden=False)
        for chunk in [None] if pks is None else _chunks(wanted):
            (stale if chunk is None else stale.filter(question_id__in=chunk)).delete()
        insert_rows(SuggestedRelated, ["question_id", "target_id", "rank", "hidden"], new_rows)
        # Their related cards changed: their pages, and no other (qa.serving.changes).
        changes.pages_changed(None if pks is None else wanted)
    return len(new_rows)


def _declared_targets(pks: list[int] | None) -> tuple[dict, dict]:
    """How many links each of these articles (every article when None) declares, and the
    articles those lead to, by their declared URL."""
    links = RelatedArticle.objects.order_by().values_list("question_id", "target_url")
    declared = list(links) if pks is None else [row for chunk in _chunks(pks) for row in links.filter(question_id__in=chunk)]
    articles = Question.objects.order_by().values_list("pk", "subject__slug", "slug")
    if pks is not None:
        slugs = list({parts[1] for _, url in declared if (parts := split_article_path(url))})
        articles = [row for chunk in _chunks(slugs) for row in articles.filter(slug__in=chunk)]
    pk_at = {article_path(subject, slug): pk for pk, subject, slug in articles}
    count, targets = defaultdict(int), defaultdict(set)
    for question_id, url in declared:
        count[question_id] += 1
        if (target := pk_at.get(url)) is not None:
            targets[question_id].add(target)
    return count, targets


def refresh_article(question: Question) -> None:
    """After an editor's save: this article's terms from its current text, then its suggestions."""
    store_terms([(question.pk, pack_article(question.pk))])
    refresh([question.pk])


def shown_to_editors(question: Question) -> list[SuggestedRelated]:
    """The article's suggestions that are not hidden, best first, with their targets."""
    return list(question.suggestions.filter(hidden=False).select_related("target__subject").order_by("rank"))


def accept(question: Question, target_id: int) -> RelatedArticle | None:
    """Make a suggestion a declared link at the first free position; None when there is no
    such suggestion or no free position."""
    with transaction.atomic():
        suggestion = (
            question.suggestions.filter(target_id=target_id, hidden=False).select_related("target__subject").first()
        )
        taken = set(question.related_links.values_list("position", flat=True))
        free = next((p for p in range(1, MAX_RELATED + 1) if p not in taken), None)
        if suggestion is None or free is None:
            return None
        target = suggestion.target
        link = RelatedArticle.objects.create(
            question=question,
            position=free,
            target_url=target.path,
            target_title=target.question[: RelatedArticle._meta.get_field("target_title").max_length],
            target_subject=target.subject.title,
            target_source_id=target.source_id,
        )
        suggestion.delete()
        refresh([question.pk])  # the next best takes its place
    return link


def hide(question: Question, target_id: int) -> bool:
    """An editor's no: the suggestion is never shown nor computed again."""
    with transaction.atomic():
        hidden = question.suggestions.filter(target_id=target_id, hidden=False).update(hidden=True)
        if hidden:
            refresh([question.pk])  # the next best takes its place
    return bool(hidden)


def pack_all() -> int:
    """Store the terms of every article, from its current text (for a database that has articles
    from before suggestions, or after a change to terms.pack); return how many."""
    texts = Question.objects.order_by().values_list("pk", "question", "seo__page_keywords", "seo__page_description")
    pairs = [(pk, terms.pack(question, keywords or "", description or "")) for pk, question, keywords, description in texts]
    with transaction.atomic():
        ArticleTerms.objects.all().delete()
        insert_rows(ArticleTerms, ["question_id", "terms"], pairs)
    return len(pairs)
