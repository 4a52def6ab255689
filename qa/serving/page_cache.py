"""Reader pages served from the cache, each stale as soon as something it shows changes.

A page is stored under its address with the names of what it shows (its dependencies) and the
number of the last change its process had seen when it was rendered (qa.serving.changes). A hit
is served while none of those names changed since; the next request after a change renders the
page anew and replaces the entry. What each page shows:

- every page: its own address (``path:``), so a redirect or an article's change reaches it;
- an article: its subject, and the slugs of its related cards (the view adds them, see
  qa.article_page);
- a subject's pages, feed and sitemap: the subject and its listing;
- /learn/, the site feed, the sitemap index and the pages sitemap: the catalogue.

``changes.flush_site()`` makes every page stale at once (``invalidate_pages()`` is its old name).
"""
import hashlib
import logging
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date, parse_http_date_safe

from qa.serving import changes
from qa.serving.changes import CATALOGUE, Knowledge, listing_name, path_name, subject_name

log = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # redis is only needed with REDIS_URL
    RedisError = OSError

# A cache that is down or slow makes pages slower, never broken.
CACHE_ERRORS = (OSError, RedisError)

# What each cached view's page shows, by the names of qa.serving.changes, from the URL's
# arguments. Every page also depends on its own path, and a view may add names (depends_on()).
def _catalogue(**kwargs) -> set[str]:
    return {CATALOGUE}


def _subject_pages(subject, **kwargs) -> set[str]:
    return {subject_name(subject), listing_name(subject)}


def _article(subject, slug) -> set[str]:
    return {subject_name(subject)}  # the view adds its related cards


PAGE_DEPENDENCIES = {
    "qa:learn-index": _catalogue,
    "qa:subject-detail": _subject_pages,
    "qa:question-detail": _article,
    "qa:feed": _catalogue,
    "qa:subject-feed": _subject_pages,
    "qa:sitemap-index": _catalogue,
    "qa:sitemap-pages": _catalogue,
    "qa:sitemap-subject": _subject_pages,
    "qa:robots-txt": lambda: set(),
}
DEPENDENCIES = "_qa_page_dependencies"  # on the request: the names its page shows
KNOWLEDGE = "_qa_knowledge"  # on the request: what the process knew when it began


def invalidate_pages() -> None:
    """Make every cached reader page stale, in every process and on every app server."""
    changes.flush_site()


def depends_on(request, names) -> None:
    """Add to the names the page of ``request`` depends on (a view that shows more than its URL says)."""
    deps = getattr(request, DEPENDENCIES, None)
    if deps is not None:
        deps.update(names)


def request_knowledge(request) -> Knowledge:
    """What this process knew of the changes when ``request`` began: one view of them per request."""
    known = getattr(request, KNOWLEDGE, None)
    if known is None:
        known = changes.current()
        setattr(request, KNOWLEDGE, known)
    return known


@dataclass(frozen=True)
class Entry:
    seq: int  # the last change the rendering process had seen
    dependencies: frozenset[str]
    response: object


def page_key(request, params: tuple[str, ...] = ()) -> str:
    """The cache key of a page: its address with only the query parameters its view reads.

    A parameter the view reads counts by its last value, as ``request.GET.get()`` reads it; any
    other parameter is dropped, so a cache-buster cannot make new entries.
    """
    query = urlencode([(name, request.GET[name]) for name in params if name in request.GET])
    address = f"{request.scheme}://{request.get_host()}{request.path}{'?' + query if query else ''}"
    return f"page:{hashlib.md5(address.encode(), usedforsecurity=False).hexdigest()}"


def is_shareable(response) -> bool:
    """May this response go to a shared cache? Not if it is personal, an error or already has a policy."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not response.has_header("Vary")
    )


def mark_public(response, known: Knowledge, dependencies) -> None:
    """ETag, Last-Modified and a Cache-Control that lets browsers, nginx and a CDN keep the page."""
    set_response_etag(response)
    response["Last-Modified"] = http_date(known.last_modified(dependencies).timestamp())
    max_age, s_maxage = settings.PAGE_CACHE_MAX_AGE, settings.PAGE_CACHE_S_MAXAGE
    if known.next_publish_at:
        # Nobody may keep the page past the moment a scheduled article goes live.
        left = max(0, int((known.next_publish_at - timezone.now()).total_seconds()))
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

    A hit then costs no round trip. An entry is checked against the changes like one from the
    shared cache, and the oldest make room. Entries are pickled, so every request gets a response
    object of its own to add headers to.
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()  # gthread workers serve requests from several threads

    def get(self, key) -> Entry | None:
        with self.lock:
            blob = self.entries.get(key)
            if blob is not None:
                self.entries.move_to_end(key)
        return None if blob is None else pickle.loads(blob)

    def set(self, key, entry: Entry) -> None:
        blob = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
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
        match = self.cached_view(request.path_info)
        if request.method not in ("GET", "HEAD") or match is None:
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            response = self.get_response(request)
            if not response.has_header("Cache-Control"):
                add_never_cache_headers(response)
            return response
        try:
            known = request_knowledge(request)
        except DatabaseError:
            return self.get_response(request)  # the view meets the same error (qa.serving.unavailable)
        key = page_key(request, self.views[match.view_name])
        entry = self.cache_get(key) if settings.PAGE_CACHE else None
        if entry is not None and not known.changed_since(entry.seq, entry.dependencies):
            response = entry.response
            response["X-Page-Cache"] = "hit"
        else:
            deps = {path_name(request.path), *PAGE_DEPENDENCIES[match.view_name](**match.kwargs)}
            setattr(request, DEPENDENCIES, deps)
            response = self.get_response(request)
            if not is_shareable(response):
                return response
            mark_public(response, known, deps)
            if settings.PAGE_CACHE and request.method == "GET":
                self.cache_set(key, Entry(known.seq, frozenset(deps), response))
            response["X-Page-Cache"] = "miss"
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response["Last-Modified"]),
            response=response,
        )

    def cached_view(self, path):
        """The URL match of the page at ``path``, or None when it is not a cached page."""
        try:
            match = resolve(path)
        except Resolver404:
            return None
        return match if match.view_name in self.views else None

    def cache_get(self, key) -> Entry | None:
        if self.local and (entry := self.local.get(key)) is not None:
            return entry
        try:
            entry = cache.get(key)
        except CACHE_ERRORS as exc:
            log.warning("page cache unavailable: %s", exc)
            return None
        if not isinstance(entry, Entry):
            return None  # nothing, or an entry of an older release
        if self.local:
            self.local.set(key, entry)
        return entry

    def cache_set(self, key, entry: Entry):
        if self.local:
            self.local.set(key, entry)
        try:
            cache.set(key, entry, settings.PAGE_CACHE_TIMEOUT)
        except CACHE_ERRORS as exc:
            log.warning("page cache unavailable: %s", exc)
