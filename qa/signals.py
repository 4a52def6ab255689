"""Cached reader pages follow every ORM write to content.

save() and delete() of any content model schedule one ``qa.caching.invalidate_pages()`` for when
the transaction commits: invalidating earlier would let a reader request made before the commit
cache the old page again. Writes that send no signals (queryset ``update()``, ``bulk_create``, the
importer) call :func:`schedule_invalidation` or ``invalidate_pages()`` themselves.
"""
from django.contrib.redirects.models import Redirect
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from qa import caching
from qa.models import SEO, Answer, Question, RelatedArticle, Subject

CONTENT_MODELS = (Question, Answer, SEO, RelatedArticle, Subject, Redirect)


def _invalidate():
    caching.invalidate_pages()


def schedule_invalidation(using=None):
    """Invalidate cached pages once the current transaction commits (at once outside one)."""
    connection = transaction.get_connection(using)
    # One admin save writes the question, its answer, its SEO row and up to five links: queue a
    # single invalidation per transaction level. run_on_commit holds (savepoint ids, func,
    # robust); an entry made at this same level is rolled back with the current write, or
    # commits with it, so a second one adds nothing.
    if connection.in_atomic_block:
        current = set(connection.savepoint_ids)
        if any(func is _invalidate and sids == current for sids, func, _ in connection.run_on_commit):
            return
    # robust: the content is committed by now; a failing cache must not turn the save into a 500.
    transaction.on_commit(_invalidate, using=using, robust=True)


def _content_changed(sender, using, **kwargs):
    schedule_invalidation(using)


def connect():
    for model in CONTENT_MODELS:
        uid = f"qa.signals:{model._meta.label}"
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"{uid}:delete")
