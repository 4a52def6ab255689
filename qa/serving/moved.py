"""Moved URLs answer 301 to where the article lives now."""
from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.http import HttpResponseGone, HttpResponsePermanentRedirect

from qa.redirects import local_path, normalise_path
from qa.related import moved_article_url


class MovedArticleMiddleware:
    """On a 404, look for where the page went.

    1. A stored ``django.contrib.redirects`` redirect (the import's ``--redirects`` CSV, ``--sync``
       moves, editors' slug changes). An empty ``new_path`` means gone: 410.
    2. An article path whose slug is published under exactly one other subject.

    This replaces Django's RedirectFallbackMiddleware, which looks the path up *with* its query
    string (so ``?utm_source=…`` misses the redirect) and reads the Site from the database; here
    paths are normalised the way qa.redirects stores them, and the query string is carried over.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        new_path = moved_to(request.path)
        if new_path == "":
            return HttpResponseGone()
        return permanent_redirect(request, new_path) if new_path else response


def moved_to(path: str) -> str | None:
    """Where the page at ``path`` went: a path (or an editor's absolute URL), "" if it is gone, None if unknown."""
    path = normalise_path(path)
    if "\0" in path:  # Postgres refuses NUL in text; such a path is never stored anyway.
        return None
    new_path = (
        Redirect.objects.filter(site_id=settings.SITE_ID, old_path=path).values_list("new_path", flat=True).first()
    )
    if new_path == "":
        return ""
    new_path = new_path or moved_article_url(path)
    if new_path and new_path[0] in "/\\":
        # A row stored before imports made every target local must not lead off the site.
        new_path = local_path(new_path)
    return new_path or None


def permanent_redirect(request, new_path: str) -> HttpResponsePermanentRedirect:
    """A 301 to ``new_path`` that carries the request's query string over."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{new_path}?{query}" if query else new_path)
