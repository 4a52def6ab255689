"""Reads from a PostgreSQL read replica, writes to the primary (enabled by DATABASE_REPLICA_URL).

A replica lags the primary by a little, so three kinds of read stay on the primary:
- reads inside a transaction on the primary, which must see that transaction's own writes;
- every query of a request that writes (POST and the like) or comes from someone logged in, so an
  editor always sees what they just saved (PinPrimaryMiddleware);
- anything run outside a request (management commands, the importer), which is pinned by default.

Reader pages stay consistent with the cache: the content changes (qa.serving.changes) are read from
the same replica as the content, and replication applies changes in commit order, so a page can
never be stored as newer than the content it shows.
"""
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

PRIMARY, REPLICA = "default", "replica"

# True outside requests; PinPrimaryMiddleware sets False for anonymous reads.
_pinned: ContextVar[bool] = ContextVar("qa_db_pinned_to_primary", default=True)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _pinned.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema through replication.
        return db == PRIMARY


class PinPrimaryMiddleware:
    """Send anonymous GET and HEAD requests to the replica, everything else to the primary."""

    SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned = request.method not in self.SAFE_METHODS or settings.SESSION_COOKIE_NAME in request.COOKIES
        token = _pinned.set(pinned)
        try:
            return self.get_response(request)
        finally:
            _pinned.reset(token)
