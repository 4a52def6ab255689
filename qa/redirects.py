"""Permanent redirects between article URLs, stored in django.contrib.redirects, never chained."""
from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.db import transaction

# Browsers drop tabs and line breaks from a URL and read "\" as "/": "/\t/evil.example" and
# "/\\evil.example" lead off the site just as "//evil.example" does.
_IGNORED_BY_BROWSERS = str.maketrans("", "", "\t\n\r")


def local_path(path: str) -> str:
    """``path`` as a path on this site: one leading slash, never a protocol-relative "//host"."""
    return "/" + path.translate(_IGNORED_BY_BROWSERS).lstrip("/\\")


def normalise_path(path: str) -> str:
    """One spelling for stored paths: a local path (:func:`local_path`), no trailing slash
    (articles have none), no query. Every path from a CSV or an import goes through here."""
    path = local_path((path or "").strip().split("?", 1)[0].split("#", 1)[0])
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def final_target(start: str, targets: dict[str, str]) -> str | None:
    """Follow old → new through ``targets`` to the end; None for a cycle."""
    seen, path = {start}, targets[start]
    while path in targets:
        if path in seen:
            return None  # a cycle: no redirect is better than a loop
        seen.add(path)
        path = targets[path]
    return path


@transaction.atomic
def save_redirects(targets: dict[str, str], site_id: int | None = None) -> int:
    """Merge normalised old → new paths into the stored redirects so that none chains.

    Stored redirects that led to a new old path are repointed to its final target.
    Returns how many rows were created or changed.
    """
    site_id = site_id or settings.SITE_ID
    stored = {r.old_path: r for r in Redirect.objects.filter(site_id=site_id)}
    combined = {old: r.new_path for old, r in stored.items()} | targets
    created, changed = [], []
    for old in combined:
        new = final_target(old, combined)
        if new is None or new == old:
            continue
        if old not in stored:
            created.append(Redirect(site_id=site_id, old_path=old, new_path=new))
        elif stored[old].new_path != new:
            stored[old].new_path = new
            changed.append(stored[old])
    Redirect.objects.bulk_create(created)
    Redirect.objects.bulk_update(changed, ["new_path"])
    return len(created) + len(changed)


@transaction.atomic
def add_redirect(old_path: str, new_path: str, site_id: int | None = None) -> Redirect | None:
    """Redirect old_path to new_path permanently, repointing redirects that pointed at old_path.

    Returns the redirect, or None when the two paths are the same. A redirect *from* new_path is
    dropped: new_path is live again, so it must not bounce readers away.
    """
    site_id = site_id or settings.SITE_ID
    old_path, new_path = normalise_path(old_path), normalise_path(new_path)
    if old_path == new_path:
        return None
    add_redirects({old_path: new_path}, site_id)
    return Redirect.objects.get(site_id=site_id, old_path=old_path)


@transaction.atomic
def add_redirects(moves: dict[str, str], site_id: int | None = None) -> int:
    """Many :func:`add_redirect` calls in one pass, for a subject rename or a bulk move.

    Loads the stored redirects once instead of once per article. Returns how many rows were
    created or changed.
    """
    site_id = site_id or settings.SITE_ID
    # Old paths are stored normalised (qa.serving.moved looks them up so); a target is kept as
    # given, so a subject page's trailing slash takes readers there in one hop.
    targets = {}
    for old, new in moves.items():
        old = normalise_path(old)
        if old != normalise_path(new):
            targets[old] = new
    if not targets:
        return 0
    live_again = {normalise_path(new) for new in targets.values()}
    Redirect.objects.filter(site_id=site_id, old_path__in=live_again).delete()
    return save_redirects(targets, site_id)
