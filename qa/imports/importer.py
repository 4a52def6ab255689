"""Import seed files into the database: idempotent, batch-safe and resumable.

The declared url is an article's identity. A file whose bytes hash to a stored
``source_hash`` is unchanged and is neither parsed nor written. Parsing and
rendering run in worker processes; writes go in batches, each in one
transaction, so an interrupted import leaves whole articles only and a re-run
completes it. A bad file is reported and skipped; the rest of the batch lands.

Each batch holds the search index's triggers back and indexes its articles once at its end;
into an empty index (a first load) the whole index is built once, after the last batch
(qa.search.index.deferred and needs_rebuild).
"""
import csv
import ctypes
import gc
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import reversion
import yaml
from django.contrib.redirects.models import Redirect
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from qa.imports.bulk import delete_rows, insert_rows, update_rows
from qa.imports.seedfile import MAX_SEED_BYTES, Seed, SeedError, content_hash, parse_seed
from qa.models import SEO, Answer, Question, RelatedArticle, Subject
from qa.paths import article_path, is_slug
from qa.redirects import add_redirects, normalise_path, save_redirects
from qa.rendering.markdown import render_markdown
from qa.search import index
from qa.serving import page_cache

SEED_SUFFIXES = {".md", ".txt"}
BATCH_SIZE = 500
READ_CHUNK = 2000
WORKER_CHUNK = 32  # files per task sent to a worker: fewer, larger messages cost the parent less
SMALL_WORK = 200  # below this many files to parse, worker processes cost more than they save

QUESTION_FIELDS = [
    "title", "article_title", "question", "date", "author", "source_id", "score", "no_index",
    "date_format", "post_on_text", "extra", "source_hash", "source_missing", "updated_at",
]
SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to"}


class ImportInputError(Exception):
    """Input the import cannot start with (a missing path, an unreadable subjects file)."""


@dataclass
class FileError:
    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: int = 0
    redirects: int = 0
    seconds: float = 0.0
    errors: list[FileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, path, reason):
        self.failed += 1
        # One line per bad file, whatever it holds: a YAML or database message may span
        # lines, and a file name may contain a newline or bytes that are not UTF-8.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))
        self.errors.append(FileError(shown, " ".join(str(reason).split())))

    def summary(self):
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"unpublished {self.unpublished}, failed {self.failed}, {self.seconds:.1f} s"
        )


@dataclass
class Parsed:
    path: Path
    digest: str
    seed: Seed | None = None
    html: str = ""
    error: str = ""


def title_from_slug(slug: str) -> str:
    """ "history-of-the-world" → "History of the World"."""
    words = slug.split("-")
    return " ".join(w if i and w in SMALL_WORDS else w.capitalize() for i, w in enumerate(words))


def collect_seed_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.suffix in SEED_SUFFIXES and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise ImportInputError(f"{path}: no such file or directory")
    return sorted(set(files))


def _parse(item: tuple[Path, str, bytes]) -> Parsed:
    path, digest, data = item
    try:
        seed = parse_seed(data)
        return Parsed(path, digest, seed, render_markdown(seed.answer))
    except SeedError as exc:
        return Parsed(path, digest, error=str(exc))
    except Exception as exc:  # noqa: BLE001 — one bad file must never stop the batch
        return Parsed(path, digest, error=f"unexpected {type(exc).__name__}: {exc}")


def _die_with_parent():
    """Pool initializer: a worker must not outlive an import that was killed (Linux only)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass


def _read(path: Path) -> tuple[bytes | None, str]:
    try:
        size = path.stat().st_size
        if size > MAX_SEED_BYTES:
            return None, f"the file is larger than {MAX_SEED_BYTES // (1024 * 1024)} MB ({size:,} bytes)"
        return path.read_bytes(), ""
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"


class SeedImporter:
    def __init__(self, *, dry_run=False, sync=False, progress: Callable[[int], None] | None = None, workers=None):
        self.dry_run = dry_run
        self.sync = sync
        self.progress = progress or (lambda n: None)
        self.workers = workers or os.cpu_count() or 1
        self.report = ImportReport()

    # -- subjects and redirects ------------------------------------------------------------

    def load_subjects(self, path) -> None:
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
                self.report.warnings.append(f"{path}: entry {position + 1} has no valid slug; skipped")
                continue
            values = {
                "title": str(entry.get("title") or title_from_slug(slug)),
                "is_listed": bool(entry.get("listed", True)),
                "position": position,
            }
            subject = existing.get(slug)
            if subject is None:
                if not self.dry_run:
                    Subject.objects.create(slug=slug, **values)
            elif any(getattr(subject, k) != v for k, v in values.items()) and not self.dry_run:
                Subject.objects.filter(pk=subject.pk).update(**values, updated_at=timezone.now())

    def load_redirects(self, path) -> None:
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
                self.report.warnings.append(f"{path}:{number}: expected old_path,new_path; skipped")
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
                self.report.warnings.append(f"{path}:{number}: {old} has two targets; keeping {keep}")
                new = keep
            targets[old] = new
        if self.dry_run:
            return
        self.report.redirects += save_redirects(targets)

    # -- articles --------------------------------------------------------------------------

    def run(self, files: list[Path]) -> ImportReport:
        """Import the given seed files (see :func:`collect_seed_files`)."""
        started = time.monotonic()
        rows = list(
            Question.objects.order_by().values_list("pk", "source_hash", "source_missing", "subject__slug", "slug")
        )
        known = {digest: (pk, missing) for pk, digest, missing, _, _ in rows}
        self.questions = {article_path(s, slug): pk for pk, _, _, s, slug in rows}
        self.missing = {pk for pk, _, missing, _, _ in rows if missing}
        self.paths_by_url: dict[str, Path] = {}
        self.failed_paths: list[Path] = []
        self.subjects = dict(Subject.objects.values_list("slug", "pk"))
        url_by_pk = {pk: url for url, pk in self.questions.items()}

        # Into an empty (or cut-short) search index, the batches leave the index alone and
        # it is built once at the end, even when the import is interrupted.
        self.rebuild_index = not self.dry_run and index.needs_rebuild(connection)
        try:
            batch: list[Parsed] = []
            for parsed in self._parsed(files, known, url_by_pk):
                self.progress(1)
                if parsed.error:
                    self.failed_paths.append(parsed.path)
                    self.report.fail(parsed.path, parsed.error)
                    continue
                batch.append(parsed)
                if len(batch) >= BATCH_SIZE:
                    self._write(batch)
                    batch = []
            if batch:
                self._write(batch)
        finally:
            if self.rebuild_index:
                index.rebuild(connection)
        if self.sync:
            self._sync()
        if not self.dry_run and (self.report.created or self.report.updated or self.report.unpublished):
            page_cache.invalidate_pages()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _parsed(self, files, known, url_by_pk) -> Iterator[Parsed]:
        """Yield a Parsed for every file that needs work, in file order.

        Files are read in chunks, and the next chunk is handed to the workers before this
        one's results are consumed, so they never wait while the batches are written.
        """
        pool = None
        in_flight: deque[Iterator[Parsed]] = deque()
        try:
            for start in range(0, len(files), READ_CHUNK):
                work = self._needing_work(files[start : start + READ_CHUNK], known, url_by_pk)
                if len(work) >= SMALL_WORK and self.workers > 1 and pool is None:
                    # Workers only parse and render; they never touch the inherited database
                    # connection, and exit through os._exit, so it stays the parent's alone.
                    # Frozen objects are left alone by the workers' garbage collector, which
                    # would otherwise touch, and so copy, every page inherited from this process.
                    gc.freeze()
                    pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_die_with_parent)
                    gc.unfreeze()
                in_flight.append(pool.imap(_parse, work, chunksize=WORKER_CHUNK) if pool else map(_parse, work))
                if len(in_flight) > 1:
                    yield from in_flight.popleft()
            while in_flight:
                yield from in_flight.popleft()
        finally:
            if pool is not None:
                pool.terminate()

    def _needing_work(self, paths, known, url_by_pk) -> list[tuple[Path, str, bytes]]:
        """Read the files; report unreadable ones and count unchanged ones; return the rest."""
        work = []
        for path in paths:
            data, error = _read(path)
            if data is None:
                self.progress(1)
                self.failed_paths.append(path)
                self.report.fail(path, error)
                continue
            digest = content_hash(data)
            hit = known.get(digest)
            if hit and not hit[1]:
                self.progress(1)
                if self._claim(path, url_by_pk[hit[0]]):
                    self.report.unchanged += 1
                continue
            work.append((path, digest, data))
        return work

    def _claim(self, path: Path, url: str) -> bool:
        """Take ``url`` for ``path``; a second file declaring it in this run fails."""
        if url in self.paths_by_url:
            self.report.fail(path, f"repeats the url {url} of {self.paths_by_url[url]}")
            return False
        self.paths_by_url[url] = path
        return True

    def _write(self, batch: list[Parsed]) -> None:
        accepted = []
        for parsed in batch:
            if not self._claim(parsed.path, parsed.seed.url):
                self.failed_paths.append(parsed.path)
                continue
            accepted.append(parsed)
        if self.dry_run:
            for parsed in accepted:
                if parsed.seed.url in self.questions:
                    self.report.updated += 1
                else:
                    self.report.created += 1
            return
        try:
            with transaction.atomic():
                self._save(accepted)
        except DatabaseError:
            # Find the culprit: one transaction per file, so the good ones still land.
            for parsed in accepted:
                try:
                    with transaction.atomic():
                        self._save([parsed])
                except DatabaseError as exc:
                    self.report.fail(parsed.path, f"database refused it: {exc}")

    def _save(self, batch: list[Parsed]) -> None:
        now = timezone.now()
        for parsed in batch:
            slug = parsed.seed.subject_slug
            if slug not in self.subjects:
                subject, _ = Subject.objects.get_or_create(slug=slug, defaults={"title": title_from_slug(slug)})
                self.subjects[slug] = subject.pk
        new = [p for p in batch if p.seed.url not in self.questions]
        old = [p for p in batch if p.seed.url in self.questions]
        with index.deferred(connection, refresh_at_end=not self.rebuild_index) as touched:
            pairs = self._insert_questions(new, now) + self._update_questions(old, now)
            pks = [pk for pk, _ in pairs]
            touched.update(pks)
            # The HTML was rendered by the same pipeline in a worker, so Answer.save() is not needed.
            insert_rows(Answer, ["question_id", "body", "html"], [(pk, p.seed.answer, p.html) for pk, p in pairs])
            insert_rows(
                SEO,
                ["question_id", "title", "page_description", "page_keywords"],
                [(pk, p.seed.seo_title, p.seed.seo_description, p.seed.seo_keywords) for pk, p in pairs],
            )
            insert_rows(
                RelatedArticle,
                ["question_id", "position", "target_url", "target_title", "target_subject", "target_source_id"],
                [
                    (pk, r.position, r.url, r.title, r.subject, r.source_id)
                    for pk, p in pairs
                    for r in p.seed.related
                ],
            )
        if old:
            self._record_revisions(pks[len(new) :])
        for pk, parsed in pairs[: len(new)]:
            self.questions[parsed.seed.url] = pk
        self.report.created += len(new)
        self.report.updated += len(old)

    def _insert_questions(self, new: list[Parsed], now) -> list[tuple[int, Parsed]]:
        columns = ["subject_id", "slug", "status", "publish_at", "created_at", *QUESTION_FIELDS]
        rows = []
        for parsed in new:
            values = self._question_values(parsed, now)
            subject = self.subjects[parsed.seed.subject_slug]
            rows.append((subject, parsed.seed.slug, Question.Status.PUBLISHED, None, now, *map(values.get, QUESTION_FIELDS)))
        inserted = insert_rows(Question, columns, rows, returning=("id", "subject_id", "slug"))
        pk_of = {(subject, slug): pk for pk, subject, slug in inserted}
        return [(pk_of[self.subjects[p.seed.subject_slug], p.seed.slug], p) for p in new]

    def _update_questions(self, old: list[Parsed], now) -> list[tuple[int, Parsed]]:
        pks = [self.questions[p.seed.url] for p in old]
        # An article that comes back after a --sync unpublished it is published again.
        returning = [pk for pk in pks if pk in self.missing]
        rows = []
        for pk, parsed in zip(pks, old, strict=True):
            values = self._question_values(parsed, now)
            rows.append((*map(values.get, QUESTION_FIELDS), pk))
        update_rows(Question, QUESTION_FIELDS, rows)
        if returning:
            Question.objects.filter(pk__in=returning).update(status=Question.Status.PUBLISHED)
        # Replaced whole below; the pages are invalidated once, at the end of the import.
        for model in (Answer, SEO, RelatedArticle):
            delete_rows(model, "question", pks)
        return list(zip(pks, old, strict=True))

    @staticmethod
    def _question_values(parsed: Parsed, now) -> dict:
        s = parsed.seed
        return {
            "title": s.title,
            "article_title": s.article_title,
            "question": s.question,
            "date": s.date,
            "author": s.author,
            "source_id": s.source_id,
            "score": s.score,
            "no_index": s.no_index,
            "date_format": s.date_format,
            "post_on_text": s.post_on_text,
            "extra": s.extra,
            "source_hash": parsed.digest,
            "source_missing": False,
            "updated_at": now,
        }

    @staticmethod
    def _record_revisions(pks):
        """One revision for the batch's updated articles, each with its answer, SEO and links.

        The admin reverts one article of it at a time (qa.admin.history.revert_article), and one
        revision saves in a few queries where one per article took six each.
        """
        questions = Question.objects.filter(pk__in=pks).select_related("answer", "seo").prefetch_related("related_links")
        with reversion.create_revision(atomic=False):
            reversion.set_comment("Updated by import_seeds")
            for question in questions:
                reversion.add_to_revision(question)

    # -- --sync ----------------------------------------------------------------------------

    def _sync(self) -> None:
        """Unpublish what the files no longer hold, and redirect articles that moved subject."""
        protected = set(self.paths_by_url)
        for path in self.failed_paths:
            # A broken file still exists: never unpublish the article it most likely holds.
            protected.add(article_path(path.parent.name, path.stem))
        gone = [pk for url, pk in self.questions.items() if url not in protected]
        stale = Question.objects.filter(pk__in=gone).exclude(status=Question.Status.UNPUBLISHED, source_missing=True)
        if self.dry_run:
            self.report.unpublished += stale.count()
            return
        with transaction.atomic():
            self.report.unpublished += stale.update(
                status=Question.Status.UNPUBLISHED, source_missing=True, updated_at=timezone.now()
            )
            self._redirect_moves()

    def _redirect_moves(self) -> None:
        existing = set(Redirect.objects.values_list("old_path", "new_path"))
        moved = Question.objects.filter(source_missing=True).select_related("subject")
        current = {
            (q.slug, q.source_id): q
            for q in Question.objects.published().filter(
                slug__in=moved.values("slug"), source_id__in=moved.values("source_id")
            ).select_related("subject")
        }
        moves = {}
        for old in moved:
            new = current.get((old.slug, old.source_id))
            if new is not None and new.subject_id != old.subject_id and (old.path, new.path) not in existing:
                moves[old.path] = new.path
        add_redirects(moves)
        self.report.redirects += len(moves)
