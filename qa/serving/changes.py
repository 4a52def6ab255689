"""What changed, and when: the names reader pages depend on, recorded with a sequence number.

A cached page (qa.serving.page_cache) and an article's stored parts (qa.article_page) remember the
names of what they show and the number of the last change they had seen when they were made. They
are stale once any of those names changed after that number. A change records its names in the
same transaction as the content it stands for:

- ``path:<path>``: the page at that address (an article's own content; a redirect's old path);
- ``slug:<slug>``: whatever is published under that slug, which is how related cards resolve;
- ``subject:<slug>``: a subject's title, slug and listing;
- ``listing:<slug>``: the articles a subject lists (its pages, feed and sitemap);
- ``catalogue``: the articles listed anywhere (/learn/, the site feed, the sitemap index);
- ``site``: everything (:func:`flush_site`; it deletes the other rows, which it supersedes).

Why the database and not the cache: with the default local-memory cache every gunicorn worker has a
cache of its own, and the database is the one thing every worker and every app server shares; a
change commits or rolls back with the content it stands for. Each process keeps what it read
(:class:`Knowledge`) and reads only the newer changes again after PAGE_CACHE_VERSION_TTL seconds
(1 by default), so a cache hit costs no query; the process that made a change sees it at once.

Scheduled publication changes pages without any write: the sequence row also holds the earliest
publication time still to come, and the first request after it records the due articles' names.

The ORM's save() and delete() record through signals (:func:`connect_signals`). Writes that bypass
them (queryset update(), bulk_create, raw SQL: the importer, admin bulk actions) call
:func:`articles_changed` with the articles they touched.
"""
import functools
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.db import DatabaseError, transaction
from django.db.models import F, Min
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from qa.models import SEO, Answer, ContentChange, ContentVersion, Question, RelatedArticle, Subject
from qa.paths import article_path

log = logging.getLogger(__name__)

SITE = "site"
CATALOGUE = "catalogue"
# Past this many articles in one change, naming each costs more than it spares: flush the site.
MAX_NAMED_ARTICLES = 2000


def path_name(path: str) -> str:
    return f"path:{path}"


def slug_name(slug: str) -> str:
    return f"slug:{slug}"


def subject_name(slug: str) -> str:
    return f"subject:{slug}"


def listing_name(slug: str) -> str:
    return f"listing:{slug}"


def _article_names(slug: str, subject_slug: str) -> set[str]:
    return {path_name(article_path(subject_slug, slug)), slug_name(slug), listing_name(subject_slug), CATALOGUE}


def article_names(pks: Iterable[int]) -> set[str]:
    """The names an article's change touches: its page, its slug (cards elsewhere), its subject's
    listing and the catalogue; for every article in ``pks`` (or the whole site past MAX_NAMED_ARTICLES)."""
    pks = list(set(pks))
    if len(pks) > MAX_NAMED_ARTICLES:
        return {SITE}
    names = set()
    rows = Question.objects.filter(pk__in=pks).order_by().values_list("slug", "subject__slug")
    for slug, subject_slug in rows:
        names |= _article_names(slug, subject_slug)
    return names


# -- recording changes ----------------------------------------------------------------------------


def _next_publication(now):
    return Question.objects.filter(status=Question.Status.PUBLISHED, publish_at__gt=now).aggregate(
        at=Min("publish_at")
    )["at"]


def record(names: Iterable[str]) -> None:
    """Record that what ``names`` stand for changed now, in the caller's transaction."""
    names = set(names)
    if not names:
        return
    now = timezone.now()
    with transaction.atomic():
        next_at = _next_publication(now)
        # The UPDATE locks the row until commit: the next change waits, so numbers commit in order.
        if not ContentVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now, next_publish_at=next_at):
            ContentVersion.objects.get_or_create(pk=1, defaults={"next_publish_at": next_at, "changed_at": now})
        seq = ContentVersion.objects.filter(pk=1).values_list("version", flat=True).get()
        if SITE in names:
            ContentChange.objects.all().delete()
            names = {SITE}
        ContentChange.objects.bulk_create(
            [ContentChange(name=name, seq=seq, changed_at=now) for name in sorted(names)],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["seq", "changed_at"],
        )
    # Forget now, and again once committed: a request served by another thread in between would
    # have read, and remembered, what came before.
    forget()
    transaction.on_commit(forget)
    if settings.PAGE_CHANGE_HOOKS:
        from qa.serving import purge

        transaction.on_commit(functools.partial(purge.notify, names))


def flush_site() -> None:
    """Make every cached reader page and stored article part stale, in every process."""
    record({SITE})


def articles_changed(pks: Iterable[int]) -> None:
    """Record a change of these articles, made without the ORM's signals (after the write)."""
    record(article_names(pks))


def pages_changed(pks: Iterable[int] | None) -> None:
    """Record a change that shows on these articles' own pages only (their suggested cards);
    None: on every article's page."""
    names = article_names(pks) if pks is not None else {SITE}
    record({name for name in names if name.startswith("path:")} if SITE not in names else names)


# -- what this process knows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Knowledge:
    """The changes this process has read: every one numbered up to ``seq``."""

    seq: int
    site: tuple[int, datetime]  # the last whole-site change
    changes: dict[str, tuple[int, datetime]] = field(repr=False)
    next_publish_at: datetime | None
    read_at: float  # time.monotonic() when it was read

    def changed_since(self, seq: int, names: Iterable[str]) -> bool:
        """Did the site, or anything ``names`` stand for, change after change number ``seq``?"""
        if self.site[0] > seq:
            return True
        get = self.changes.get
        return any((change := get(name)) is not None and change[0] > seq for name in names)

    def last_modified(self, names: Iterable[str]) -> datetime:
        """When what ``names`` stand for last changed (at the latest whole-site change)."""
        get = self.changes.get
        return max([self.site[1], *(change[1] for name in names if (change := get(name)) is not None)])

    def is_due(self, now: datetime) -> bool:
        """Has a scheduled article gone live since this was read?"""
        return self.next_publish_at is not None and self.next_publish_at <= now


_known: Knowledge | None = None
_lock = threading.Lock()  # one refresh at a time in a process with threads (gthread workers)


def forget() -> None:
    """Drop what this process knows: the next request reads the changes from the database."""
    global _known
    _known = None


def current() -> Knowledge:
    """What this process knows, read again from the database at most once per PAGE_CACHE_VERSION_TTL."""
    known = _known
    if known and not _expired(known):
        return known
    with _lock:
        known = _known  # another thread may have read it meanwhile
        return known if known and not _expired(known) else _refresh(known)


def _expired(known: Knowledge) -> bool:
    return time.monotonic() - known.read_at >= settings.PAGE_CACHE_VERSION_TTL or known.is_due(timezone.now())


def _refresh(known: Knowledge | None) -> Knowledge:
    global _known
    clock = time.monotonic()
    try:
        row = _read_sequence()
        if row is None or (row[1] is not None and row[1] <= timezone.now()):
            _publish_due(row)
            row = _read_sequence()
        if known is not None and row[0] < known.seq:
            known = None  # the sequence went back (a rolled-back change was seen): read everything
        rows = ContentChange.objects.order_by("seq").values_list("name", "seq", "changed_at")
        rows = list(rows.filter(seq__gt=known.seq) if known else rows)
    except DatabaseError:
        if known is None:
            raise
        # The database is away: keep serving what was cached, and try again after another TTL
        # rather than on every request.
        log.warning("content changes unreadable; serving what was cached up to change %s", known.seq)
        _known = replace(known, read_at=clock)
        return _known
    seq, next_publish_at, last_change_at = row
    # Without a whole-site change on record, the last change of anything bounds every page's date.
    site, changes = (known.site, dict(known.changes) if rows else known.changes) if known else ((0, last_change_at), {})
    for name, change_seq, changed_at in rows:
        if name == SITE:
            site, changes = (change_seq, changed_at), {}
        else:
            changes[name] = (change_seq, changed_at)
        seq = max(seq, change_seq)
    _known = Knowledge(seq=seq, site=site, changes=changes, next_publish_at=next_publish_at, read_at=clock)
    return _known


def _read_sequence():
    return ContentVersion.objects.filter(pk=1).values_list("version", "next_publish_at", "changed_at").first()


def _publish_due(row) -> None:
    """Record the names of the articles whose publication time has come; one process does it."""
    if row is None:
        record({SITE})
        return
    due_from = row[1]
    with transaction.atomic():
        # Several workers may notice the same time: the one whose update claims it records.
        if not ContentVersion.objects.filter(pk=1, next_publish_at=due_from).update(next_publish_at=None):
            return
        due = Question.objects.filter(
            status=Question.Status.PUBLISHED, publish_at__gte=due_from, publish_at__lte=timezone.now()
        ).values_list("pk", flat=True)
        record(article_names(due) or {CATALOGUE})


# -- the ORM's writes -----------------------------------------------------------------------------

BEFORE = "_qa_names_before"  # set on an instance by pre_save: the names of where it stood


def _names_of(instance) -> set[str]:
    """The names a change of ``instance``, as it stands, touches."""
    if isinstance(instance, Question):
        return _article_names(instance.slug, instance.subject.slug)
    if isinstance(instance, RelatedArticle):
        # A link shows on its own article's page only.
        return {name for name in article_names([instance.question_id]) if name.startswith("path:")}
    if isinstance(instance, (Answer, SEO)):
        return article_names([instance.question_id])
    if isinstance(instance, Subject):
        return {subject_name(instance.slug), listing_name(instance.slug), CATALOGUE}
    return {path_name(instance.old_path)}  # a Redirect


def _before_save(sender, instance, raw=False, **kwargs):
    # What moves (an article's subject or slug, a subject's slug, a redirect's path) changes the
    # pages where it stood as well as where it goes.
    if not raw and instance.pk is not None and sender in (Question, Subject, Redirect):
        old = sender.objects.filter(pk=instance.pk).first()
        setattr(instance, BEFORE, _names_of(old) if old is not None else set())


def _saved(sender, instance, raw=False, **kwargs):
    record(_names_of(instance) | getattr(instance, BEFORE, set()))


def _deleted(sender, instance, **kwargs):
    record(_names_of(instance))


CONTENT_MODELS = (Question, Answer, SEO, RelatedArticle, Subject, Redirect)


def connect_signals():
    """Record the names of what reader pages show on every ORM save and delete."""
    for model in CONTENT_MODELS:
        uid = f"qa.serving.changes.{model.__name__}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}.before")
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}.delete")
