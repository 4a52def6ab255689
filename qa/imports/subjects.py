"""The subjects file (``--subjects``): titles, the listed flag and the order of subjects."""
from pathlib import Path

import yaml
from django.utils import timezone

from qa.imports.report import ImportInputError, ImportReport
from qa.models import Subject
from qa.paths import is_slug

MAX_TITLE = Subject._meta.get_field("title").max_length
SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to"}


def title_from_slug(slug: str) -> str:
    """ "history-of-the-world" → "History of the World"."""
    words = slug.split("-")
    return " ".join(w if i and w in SMALL_WORDS else w.capitalize() for i, w in enumerate(words))


def load_subjects(path, report: ImportReport, *, dry_run=False) -> None:
    """Apply titles, the listed flag and the order from a subjects YAML file."""
    try:
        entries = yaml.load(Path(path).read_text("utf-8"), Loader=yaml.CSafeLoader) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ImportInputError(f"{path}: cannot read subjects: {exc}") from None
    if not isinstance(entries, list):
        raise ImportInputError(f"{path}: expected a list of subjects with slug, title and listed")
    existing = {s.slug: s for s in Subject.objects.all()}
    for position, entry in enumerate(entries):
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not is_slug(slug):
            report.warnings.append(f"{path}: entry {position + 1} has no valid slug; skipped")
            continue
        title = str(entry.get("title") or title_from_slug(slug)).strip()
        if len(title) > MAX_TITLE:
            # PostgreSQL refuses a longer value (and with it the whole import); SQLite would keep it.
            report.warnings.append(
                f"{path}: entry {position + 1} ({slug}): the title is longer than {MAX_TITLE} characters; cut"
            )
            title = title[:MAX_TITLE].rstrip()
        values = {
            "title": title,
            "is_listed": bool(entry.get("listed", True)),
            "position": position,
        }
        subject = existing.get(slug)
        if subject is None:
            if not dry_run:
                Subject.objects.create(slug=slug, **values)
        elif any(getattr(subject, k) != v for k, v in values.items()) and not dry_run:
            Subject.objects.filter(pk=subject.pk).update(**values, updated_at=timezone.now())
