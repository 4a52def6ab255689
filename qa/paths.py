"""An article's path, ``/learn/<subject>/questions/<slug>``: the slug pattern, building and splitting.

The one home of the URL scheme's shape. ``qa/urls.py`` routes these paths (its ``slug``
converter is wider than the pattern here, so every path built here resolves); everything that
writes or reads an article path — models, seed files, related links, redirects, sitemaps —
comes here. Building is an f-string rather than ``reverse()``: the import builds 36,000 of them.
"""
import re

SLUG = r"[a-z0-9]+(?:-+[a-z0-9]+)*"
# \Z, not $: "$" also matches before a trailing newline, which would let "…/slug\n" through.
ARTICLE_PATH = re.compile(rf"^/learn/({SLUG})/questions/({SLUG})\Z")
_SLUG = re.compile(rf"{SLUG}\Z")


def article_path(subject_slug: str, slug: str) -> str:
    return f"/learn/{subject_slug}/questions/{slug}"


def subject_path(subject_slug: str) -> str:
    return f"/learn/{subject_slug}/"


def split_article_path(path: str) -> tuple[str, str] | None:
    """``/learn/<subject>/questions/<slug>`` → (subject, slug); None for any other path."""
    match = ARTICLE_PATH.match((path or "").strip())
    return (match[1], match[2]) if match else None


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))
