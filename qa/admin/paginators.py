"""Admin list pagination that does not count the same rows on every page."""
import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from qa.serving import changes, page_cache

COUNT_TIMEOUT = 300


class CachedCountPaginator(Paginator):
    """Counts each filter and search combination once per content version, not on every page.

    The admin counts the filtered list for every page it shows; with 36,000 articles a search
    (LIKE over three text columns) spends most of its time in that COUNT. Page 2, 3, … of the same
    list reuse the first count until the content changes: the key carries the content version
    that every save, bulk action and import bumps (qa.serving.page_cache).
    """

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        sql, params = query.sql_with_params()
        digest = hashlib.md5(f"{self.object_list.db}|{sql}|{params!r}".encode(), usedforsecurity=False).hexdigest()
        key = f"qa:admin-count:{changes.current().seq}:{digest}"
        try:
            count = cache.get(key)
        except page_cache.CACHE_ERRORS:  # a cache that is down makes the list slower, never broken
            return super().count
        if count is None:
            count = super().count
            try:
                cache.set(key, count, COUNT_TIMEOUT)
            except page_cache.CACHE_ERRORS:
                pass
        return count
