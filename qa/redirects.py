"""Permanent redirects between article URLs, stored in django.contrib.redirects, never chained."""
from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.db import transaction


def normalise_path(path: str) -> str:
    """One spelling for stored paths: leading slash, no trailing slash (articles have none), no query."""
    path = (path or "").strip().split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/")
    return path


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
    Redirect.objects.filter(site_id=site_id, old_path=new_path).delete()
    Redirect.objects.filter(site_id=site_id, new_path=old_path).update(new_path=new_path)
    redirect, _ = Redirect.objects.update_or_create(
        site_id=site_id, old_path=old_path, defaults={"new_path": new_path}
    )
    return redirect
