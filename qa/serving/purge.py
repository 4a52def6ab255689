"""The addresses a change made stale, for a CDN's purge by URL (docs/scaling.md).

Each callable named in PAGE_CHANGE_HOOKS is called once a change has committed, with the sorted
paths of the reader pages it made stale (``["*"]`` after a whole-site change) and the change's
names (qa.serving.changes). A hook that fails is logged and never fails the edit.
"""
import functools
import logging
import operator
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.module_loading import import_string

from qa.models import Question, RenderedArticle
from qa.paths import subject_path
from qa.serving.changes import CATALOGUE, SITE
from qa.views import QUESTIONS_PER_PAGE

log = logging.getLogger(__name__)

EVERYTHING = "*"


def _listing_paths(subject: str) -> set[str]:
    count = Question.objects.published().filter(subject__slug=subject).count()
    pages = max(1, -(-count // QUESTIONS_PER_PAGE))
    path = subject_path(subject)
    return {
        path, *(f"{path}?page={n}" for n in range(2, pages + 1)),
        reverse("qa:subject-feed", args=[subject]), reverse("qa:sitemap-subject", args=[subject]),
    }


def _catalogue_paths() -> set[str]:
    return {reverse(name) for name in ("qa:learn-index", "qa:feed", "qa:sitemap-index", "qa:sitemap-pages")}


def _articles_showing(names: set[str]) -> set[str]:
    """The articles whose stored parts show any of ``names`` (a card's slug or subject)."""
    if not names:
        return set()
    matches = functools.reduce(operator.or_, (Q(dependencies__contains=name) for name in names))
    rows = RenderedArticle.objects.filter(matches).values_list("dependencies", "path")
    # "slug:cell" is also in "slug:cells": keep the exact names.
    return {path for dependencies, path in rows if names & set(dependencies.split())}


def changed_paths(names: Iterable[str]) -> list[str]:
    """The paths of the cached pages that show any of ``names``."""
    names = set(names)
    if SITE in names:
        return [EVERYTHING]
    paths = set()
    for name in names:
        kind, _, value = name.partition(":")
        if kind == "path":
            paths.add(value)
        elif kind in ("listing", "subject"):
            paths |= _listing_paths(value)
        elif name == CATALOGUE:
            paths |= _catalogue_paths()
    paths |= _articles_showing({name for name in names if name.startswith(("slug:", "subject:"))})
    return sorted(paths)


def notify(names: Iterable[str]) -> None:
    """Call every PAGE_CHANGE_HOOKS callable with the stale paths and the names."""
    hooks = settings.PAGE_CHANGE_HOOKS
    if not hooks:
        return
    names = sorted(names)
    paths = changed_paths(names)
    for dotted in hooks:
        try:
            import_string(dotted)(paths, names)
        except Exception:  # noqa: BLE001 — a CDN that is down must not fail an editor's save
            log.exception("page change hook %s failed", dotted)
