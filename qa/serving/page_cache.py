"""Reader pages served from the cache, and invalidated in every process at once.

A page is stored under a key that carries the content version (``qa.models.ContentVersion``). Any
change a reader could see bumps the version, so keys made before it are never asked for again and
their entries age out after PAGE_CACHE_TIMEOUT.

Why the version lives in the database and not in the cache: with the default local-memory cache
every gunicorn worker has a cache of its own, so a counter kept there would move in one worker
only while the others went on serving old pages. The database is the one thing every worker and
every app server shares, and a bump made by a signal commits or rolls back with the content it
stands for. Reading it on every request would cost a query per cache hit, so a process trusts the
version it read for PAGE_CACHE_VERSION_TTL seconds (1 by default): a change reaches every worker
within that time, and the worker that made it at once.

Scheduled publication changes pages without any write: the version row also holds the earliest
publication time still to come, and the first request after it bumps the version.

The ORM's save() and delete() bump through signals. Writes that bypass them (queryset update(),
bulk_create, raw SQL: the importer, admin bulk actions) must call ``invalidate_pages()``.
"""
import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F, Min
from django.db.models.signals import post_delete, post_save
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date, parse_http_date_safe

from qa.models import SEO, Answer, ContentVersion, Question, RelatedArticle, Subject

log = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # redis is only needed with REDIS_URL
    RedisError = OSError

# A cache that is down or slow makes pages slower, never broken.
CACHE_ERRORS = (OSError, RedisError)
CONTENT_MODELS = (Question, Answer, SEO, RelatedArticle, Subject, Redirect)


@dataclass(frozen=True)
class Stamp:
    version: int
    changed_at: datetime
    next_publish_at: datetime | None
    read_at: float  # time.monotonic() when it was read from the database

    def is_due(self, now: datetime) -> bool:
        """Has a scheduled article gone live since this version was made?"""
        return self.next_publish_at is not None and self.next_publish_at <= now


_stamp: Stamp | None = None  # this process's copy of the version


def forget_version() -> None:
    """Drop this process's copy of the version: the next request reads it from the database."""
    global _stamp
    _stamp = None


def _next_publication(now):
    return Question.objects.filter(status=Question.Status.PUBLISHED, publish_at__gt=now).aggregate(
        at=Min("publish_at")
    )["at"]


def _bump(expected_version=None) -> None:
    now = timezone.now()
    rows = ContentVersion.objects.filter(pk=1)
    if expected_version is not None:
        # Several workers may notice the same publication time: only the first one bumps.
        rows = rows.filter(version=expected_version)
    next_at = _next_publication(now)
    if not rows.update(version=F("version") + 1, changed_at=now, next_publish_at=next_at):
        ContentVersion.objects.get_or_create(pk=1, defaults={"next_publish_at": next_at})
    # Forget now, and again once the bump is committed: a request served by another thread in
    # between would have read, and remembered, the version from before it.
    forget_version()
    transaction.on_commit(forget_version)


def invalidate_pages() -> None:
    """Make every cached reader page stale, in every process and on every app server."""
    _bump()


def current_stamp() -> Stamp:
    """The content version, read from the database at most once per PAGE_CACHE_VERSION_TTL."""
    global _stamp
    stamp, clock, now = _stamp, time.monotonic(), timezone.now()
    if stamp and clock - stamp.read_at < settings.PAGE_CACHE_VERSION_TTL and not stamp.is_due(now):
        return stamp
    try:
        row = _read_version()
        if row is None or (row[2] is not None and row[2] <= now):
            _bump(expected_version=row[0] if row else None)
            row = _read_version()
    except DatabaseError:
        if stamp is None:
            raise
        # The database is away: keep serving the pages cached under the last version seen, and
        # try the database again after another TTL rather than on every request.
        log.warning("content version unreadable; serving cached pages of version %s", stamp.version)
        _stamp = replace(stamp, read_at=clock)
        return _stamp
    _stamp = Stamp(*row, read_at=clock)
    return _stamp


def _read_version():
    return ContentVersion.objects.filter(pk=1).values_list("version", "changed_at", "next_publish_at").first()


def page_key(request, version: int, params: tuple[str, ...] = ()) -> str:
    """The cache key of a page: its address with only the query parameters its view reads.

    A parameter the view reads counts by its last value, as ``request.GET.get()`` reads it; any
    other parameter is dropped, so a cache-buster cannot make new entries.
    """
    query = urlencode([(name, request.GET[name]) for name in params if name in request.GET])
    address = f"{request.scheme}://{request.get_host()}{request.path}{'?' + query if query else ''}"
    return f"page:{version}:{hashlib.md5(address.encode(), usedforsecurity=False).hexdigest()}"


def is_shareable(response) -> bool:
    """May this response go to a shared cache? Not if it is personal, an error or already has a policy."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not response.has_header("Vary")
    )


def mark_public(response, stamp: Stamp) -> None:
    """ETag, Last-Modified and a Cache-Control that lets browsers, nginx and a CDN keep the page."""
    set_response_etag(response)
    response["Last-Modified"] = http_date(stamp.changed_at.timestamp())
    max_age, s_maxage = settings.PAGE_CACHE_MAX_AGE, settings.PAGE_CACHE_S_MAXAGE
    if stamp.next_publish_at:
        # Nobody may keep the page past the moment a scheduled article goes live.
        left = max(0, int((stamp.next_publish_at - timezone.now()).total_seconds()))
        max_age, s_maxage = min(max_age, left), min(s_maxage, left)
    patch_cache_control(
        response,
        public=True,
        max_age=max_age,
        s_maxage=s_maxage,
        stale_while_revalidate=settings.PAGE_CACHE_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.PAGE_CACHE_STALE_IF_ERROR,
    )


class LocalPages:
    """A few hundred pages kept inside this process, in front of a shared cache (Redis).

    A hit then costs no round trip. It needs no invalidation of its own: keys carry the content
    version, so an entry is either current or never asked for again, and the oldest make room.
    Entries are pickled, so every request gets a response object of its own to add headers to.
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()  # gthread workers serve requests from several threads

    def get(self, key):
        with self.lock:
            blob = self.entries.get(key)
            if blob is not None:
                self.entries.move_to_end(key)
        return None if blob is None else pickle.loads(blob)

    def set(self, key, response) -> None:
        blob = pickle.dumps(response, pickle.HIGHEST_PROTOCOL)
        with self.lock:
            self.entries[key] = blob
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class PageCacheMiddleware:
    """Serve the reader pages named in PAGE_CACHE_VIEWS from the cache, with HTTP caching headers.

    Only anonymous GET and HEAD requests are cached. A request carrying a session cookie (an editor,
    or someone who was one) is passed through and its page marked never-cache; so is any response
    that sets a cookie, varies or already says how to cache it (staff previews of drafts do).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {name: tuple(params) for name, params in dict(settings.PAGE_CACHE_VIEWS).items()}
        self.local = LocalPages(settings.PAGE_CACHE_LOCAL_ENTRIES) if settings.PAGE_CACHE_LOCAL_ENTRIES else None

    def __call__(self, request):
        params = self.cached_view_params(request.path_info)
        if request.method not in ("GET", "HEAD") or params is None:
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            response = self.get_response(request)
            if not response.has_header("Cache-Control"):
                add_never_cache_headers(response)
            return response
        try:
            stamp = current_stamp()
        except DatabaseError:
            return self.get_response(request)  # the view meets the same error (qa.serving.unavailable)
        key = page_key(request, stamp.version, params)
        response = self.cache_get(key) if settings.PAGE_CACHE else None
        if response is not None:
            response["X-Page-Cache"] = "hit"
        else:
            response = self.get_response(request)
            if not is_shareable(response):
                return response
            mark_public(response, stamp)
            if settings.PAGE_CACHE and request.method == "GET":
                self.cache_set(key, response)
            response["X-Page-Cache"] = "miss"
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response["Last-Modified"]),
            response=response,
        )

    def cached_view_params(self, path) -> tuple[str, ...] | None:
        """The query parameters the page at ``path`` reads, or None when it is not a cached page."""
        try:
            return self.views.get(resolve(path).view_name)
        except Resolver404:
            return None

    def cache_get(self, key):
        if self.local and (response := self.local.get(key)) is not None:
            return response
        try:
            response = cache.get(key)
        except CACHE_ERRORS as exc:
            log.warning("page cache unavailable: %s", exc)
            return None
        if response is not None and self.local:
            self.local.set(key, response)
        return response

    def cache_set(self, key, response):
        if self.local:
            self.local.set(key, response)
        try:
            cache.set(key, response, settings.PAGE_CACHE_TIMEOUT)
        except CACHE_ERRORS as exc:
            log.warning("page cache unavailable: %s", exc)


def _content_changed(sender, **kwargs):
    invalidate_pages()


def connect_signals():
    """Bump the version on every ORM save and delete of what reader pages show."""
    for model in CONTENT_MODELS:
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"qa.serving.page_cache.save.{model.__name__}")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"qa.serving.page_cache.delete.{model.__name__}")
