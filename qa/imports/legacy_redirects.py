"""The old site's redirects (``--redirects``): an ``old_path,new_path`` CSV, stored so none chains."""
import csv

from qa.imports.report import ImportInputError, ImportReport
from qa.models import Question
from qa.paths import article_path
from qa.redirects import normalise_path, save_redirects


def load_redirects(path, report: ImportReport, *, dry_run=False) -> None:
    """Load permanent redirects from an ``old_path,new_path`` CSV, resolved so none chains."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportInputError(f"{path}: cannot read redirects: {exc}") from None
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["old_path", "new_path"]:
        rows = rows[1:]
    live = None  # the published articles' paths, read only if the CSV has a conflict
    targets: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            report.warnings.append(f"{path}:{number}: expected old_path,new_path; skipped")
            continue
        old, new = normalise_path(row[0]), normalise_path(row[1])
        if old == new:
            continue
        # Where the CSV names two targets for one old URL, a live article wins.
        if old in targets and targets[old] != new:
            if live is None:
                live = {
                    article_path(s, slug)
                    for s, slug in Question.objects.published().values_list("subject__slug", "slug")
                }
            keep = new if (new in live and targets[old] not in live) else targets[old]
            report.warnings.append(f"{path}:{number}: {old} has two targets; keeping {keep}")
            new = keep
        targets[old] = new
    if dry_run:
        return
    report.redirects += save_redirects(targets)
