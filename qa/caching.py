"""Page-cache invalidation. (Minimal; the production work replaces the strategy.)"""
from django.core.cache import cache


def invalidate_pages():
    """Forget every cached reader page after content changed."""
    cache.clear()
