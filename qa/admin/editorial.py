"""What editors' changes do beyond their own rows: redirects for moved live URLs, and bulk work.

Bulk operations use queryset ``update()`` so they stay fast on a 36,000-article site. That sends
no signals, so each one records the changed articles itself (in its transaction, as the signal
handlers in qa/serving/changes.py do), writes one admin log entry per changed article (the article's
history shows who did what), and returns how many changed.
"""
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.redirects.models import Redirect
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qa.models import Question, Subject, published_q
from qa.paths import article_path, subject_path
from qa.redirects import add_redirect, add_redirects
from qa.serving import changes

BULK_LOG_PREFIX = "Bulk action: "
# SQLite allows 32,766 parameters per statement; "select all" can pick all 36,000 articles.
UPDATE_BATCH = 1000


@dataclass(frozen=True)
class Location:
    """Where an article was, and whether readers could see it there."""

    path: str
    was_live: bool

    @classmethod
    def of(cls, question):
        return cls(question.get_absolute_url(), question.is_published())

    @classmethod
    def stored(cls, pk):
        """The location the database holds now (before a pending edit is saved)."""
        question = Question.objects.select_related("subject").filter(pk=pk).first()
        return cls.of(question) if question else None


def redirect_if_moved(before: Location | None, question) -> Redirect | None:
    """A 301 from a live article's old URL once its slug or subject changed.

    Drafts, unpublished and not-yet-due articles get none: readers never had their URL.
    """
    if before is None or not before.was_live:
        return None
    return add_redirect(before.path, question.get_absolute_url())


def redirect_subject_rename(subject: Subject, old_slug: str) -> int:
    """Redirect the subject page and every live article of a subject whose slug changed."""
    if old_slug == subject.slug:
        return 0
    slugs = Question.objects.published().filter(subject=subject).values_list("slug", flat=True)
    moves = {article_path(old_slug, s): article_path(subject.slug, s) for s in slugs}
    moves[subject_path(old_slug)] = subject.get_absolute_url()
    return add_redirects(moves)


def _log(user, queryset, message):
    if user is not None:
        LogEntry.objects.log_actions(user.pk, queryset.only("pk", "question"), CHANGE, BULK_LOG_PREFIX + message)


@transaction.atomic
def _bulk_update(queryset, changing: Q, values: dict, user, message) -> int:
    """Update the selected articles that ``changing`` matches; log them first, then invalidate."""
    now = timezone.now()
    # Re-select by primary key: the admin's queryset may carry ordering or search joins.
    targets = Question.objects.filter(pk__in=queryset.values("pk")).filter(changing)
    _log(user, targets.order_by(), message)
    pks = list(targets.order_by().values_list("pk", flat=True))
    count = targets.update(**values, updated_at=now)
    if count:
        changes.articles_changed(pks)
    return count


def publish(queryset, user=None) -> int:
    """Make the selected articles live now (a future publication time is dropped)."""
    now = timezone.now()
    return _bulk_update(
        queryset, ~published_q(now), {"status": Question.Status.PUBLISHED, "publish_at": None}, user, "published"
    )


def unpublish(queryset, user=None) -> int:
    """Take published (or scheduled) articles off the site; drafts stay drafts."""
    return _bulk_update(
        queryset, Q(status=Question.Status.PUBLISHED), {"status": Question.Status.UNPUBLISHED}, user, "unpublished"
    )


def set_no_index(queryset, no_index: bool, user=None) -> int:
    message = "search engines asked not to index" if no_index else "search engines allowed to index"
    return _bulk_update(queryset, Q(no_index=not no_index), {"no_index": no_index}, user, message)


@dataclass
class MoveReport:
    moved: int = 0
    redirects: int = 0  # moved live articles, each now redirected from its old address
    conflicts: list = field(default_factory=list)  # questions whose slug the target subject already uses


@transaction.atomic
def move_to_subject(queryset, subject: Subject, user=None) -> MoveReport:
    """Move articles to another subject, with a 301 from each live article's old URL.

    An article whose slug the target subject already uses stays where it is and is reported.
    """
    report, now = MoveReport(), timezone.now()
    candidates = (
        Question.objects.filter(pk__in=queryset.values("pk"))
        .exclude(subject=subject)
        .select_related("subject")
        .only("pk", "slug", "question", "status", "publish_at", "subject__slug")
        .order_by("pk")
    )
    taken = set(subject.questions.values_list("slug", flat=True))
    movers, moves = [], {}
    for question in candidates:
        if question.slug in taken:
            report.conflicts.append(question)
            continue
        taken.add(question.slug)
        movers.append(question.pk)
        if question.is_published(now):
            moves[question.get_absolute_url()] = article_path(subject.slug, question.slug)
    moved_from = changes.article_names(movers)  # the pages where they stood
    for start in range(0, len(movers), UPDATE_BATCH):
        chunk = movers[start : start + UPDATE_BATCH]
        _log(user, Question.objects.filter(pk__in=chunk), f"moved to {subject.title}")
        report.moved += Question.objects.filter(pk__in=chunk).update(subject=subject, updated_at=now, content_changed_at=now)
    add_redirects(moves)
    report.redirects = len(moves)
    if report.moved:
        changes.record(moved_from | changes.article_names(movers))
    return report
