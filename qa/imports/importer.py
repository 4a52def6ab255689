"""Import seed files into the database: idempotent, batch-safe and resumable.

The declared url is an article's identity. A file whose bytes hash to a stored
``source_hash`` is unchanged and is neither parsed nor written. Parsing and
rendering run in worker processes; writes go in batches, each in one
transaction, so an interrupted import leaves whole articles only and a re-run
completes it. A bad file is reported and skipped; the rest of the batch lands.

Each batch holds the search index's triggers back and indexes its articles once at its end;
into an empty PostgreSQL index (a first load) the whole index is built once, after the last
batch (qa.search.index.deferred and needs_rebuild).

The workers also pack each article's terms; once the batches are written, the suggested related
articles of what the import wrote are computed in one pass (qa.suggestions).
"""
import ctypes
import datetime
import gc
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import reversion
from django.contrib.redirects.models import Redirect
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from qa.imports import legacy_redirects, subjects
from qa.imports.bulk import delete_rows, insert_rows, update_rows
from qa.imports.report import ImportInputError, ImportReport
from qa.imports.seedfile import MAX_SEED_BYTES, Seed, SeedError, content_hash, parse_seed, too_large
from qa.models import SEO, Answer, ArticleTerms, Question, RelatedArticle, Subject
from qa.paths import article_path
from qa.redirects import add_redirects
from qa.rendering.markdown import render_markdown
from qa.search import index
from qa.serving import changes
from qa.suggestions import store, terms

SEED_SUFFIXES = {".md", ".txt"}
BATCH_SIZE = 500
READ_CHUNK = 2000
WORKER_CHUNK = 32  # files per task sent to a worker: fewer, larger messages cost the parent less
SMALL_WORK = 200  # below this many files to parse, worker processes cost more than they save

QUESTION_FIELDS = [
    "title", "article_title", "question", "date", "author", "source_id", "score", "no_index",
    "date_format", "post_on_text", "extra", "source_hash", "source_missing", "updated_at",
    "content_changed_at",
]


@dataclass
class Catalogue:
    """The import's whole state: the rows it read once at its start, and the files of this run."""

    by_url: dict[str, int]  # every stored article's declared path → its pk
    by_digest: dict[str, tuple[int, bool]]  # source_hash → (pk, source_missing)
    missing: set[int]  # articles a --sync unpublished because their file was gone
    subjects: dict[str, int]  # subject slug → pk, new subjects added as the batches create them
    claimed: dict[str, Path] = field(default_factory=dict)  # url → the file declaring it in this run
    failed: list[Path] = field(default_factory=list)  # files that could not be imported

    @classmethod
    def read(cls) -> "Catalogue":
        rows = list(
            Question.objects.order_by().values_list("pk", "source_hash", "source_missing", "subject__slug", "slug")
        )
        return cls(
            by_url={article_path(s, slug): pk for pk, _, _, s, slug in rows},
            by_digest={digest: (pk, missing) for pk, digest, missing, _, _ in rows},
            missing={pk for pk, _, missing, _, _ in rows if missing},
            subjects=dict(Subject.objects.values_list("slug", "pk")),
        )

    @cached_property
    def url_by_pk(self) -> dict[int, str]:
        return {pk: url for url, pk in self.by_url.items()}


@dataclass
class Parsed:
    path: Path
    digest: str
    seed: Seed | None = None
    html: str = ""
    terms: bytes = b""  # for suggested related articles (qa.suggestions)
    error: str = ""


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
        packed = terms.pack(seed.question, seed.seo_keywords, seed.seo_description)
        return Parsed(path, digest, seed, render_markdown(seed.answer), packed)
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
            return None, too_large(size)
        return path.read_bytes(), ""
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"


def seed_time(date) -> datetime.datetime:
    """When a first-imported article's content last changed: its seed's date (midnight UTC)."""
    return datetime.datetime.combine(date, datetime.time.min, datetime.UTC)


class SeedImporter:
    def __init__(self, *, dry_run=False, sync=False, progress: Callable[[int], None] | None = None, workers=None):
        self.dry_run = dry_run
        self.sync = sync
        self.progress = progress or (lambda n: None)
        self.workers = workers or os.cpu_count() or 1
        self.report = ImportReport()
        self.catalogue: Catalogue | None = None  # read by run()
        self.rebuild_index = False
        self.written: list[int] = []  # the articles this run created or updated

    def load_subjects(self, path) -> None:
        subjects.load_subjects(path, self.report, dry_run=self.dry_run)

    def load_redirects(self, path) -> None:
        legacy_redirects.load_redirects(path, self.report, dry_run=self.dry_run)

    # -- articles --------------------------------------------------------------------------

    def run(self, files: list[Path]) -> ImportReport:
        """Import the given seed files (see :func:`collect_seed_files`)."""
        started = time.monotonic()
        self.catalogue = Catalogue.read()
        self.touched: set[int] = set()  # the articles written or unpublished

        # Into an empty (or cut-short) search index, the batches leave the index alone and
        # it is built once at the end, even when the import is interrupted.
        self.rebuild_index = not self.dry_run and index.needs_rebuild(connection)
        try:
            batch: list[Parsed] = []
            for parsed in self._parsed(files):
                self.progress(1)
                if parsed.error:
                    self.catalogue.failed.append(parsed.path)
                    self.report.fail(parsed.path, parsed.error)
                    continue
                self.report.warnings.extend(f"{parsed.path}: {warning}" for warning in parsed.seed.warnings)
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
        if self.written and not self.dry_run:
            self._suggest()
        if not self.dry_run and self.touched:
            # The pages of what was written, or the whole site past changes.MAX_NAMED_ARTICLES.
            changes.articles_changed(self.touched)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _parsed(self, files) -> Iterator[Parsed]:
        """Yield a Parsed for every file that needs work, in file order.

        Files are read in chunks, and the next chunk is handed to the workers before this
        one's results are consumed, so they never wait while the batches are written.
        """
        pool = None
        in_flight: deque[Iterator[Parsed]] = deque()
        try:
            for start in range(0, len(files), READ_CHUNK):
                work = self._needing_work(files[start : start + READ_CHUNK])
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

    def _needing_work(self, paths) -> list[tuple[Path, str, bytes]]:
        """Read the files; report unreadable ones and count unchanged ones; return the rest."""
        work = []
        for path in paths:
            data, error = _read(path)
            if data is None:
                self.progress(1)
                self.catalogue.failed.append(path)
                self.report.fail(path, error)
                continue
            digest = content_hash(data)
            hit = self.catalogue.by_digest.get(digest)
            if hit and not hit[1]:
                self.progress(1)
                if self._claim(path, self.catalogue.url_by_pk[hit[0]]):
                    self.report.unchanged += 1
                continue
            work.append((path, digest, data))
        return work

    def _claim(self, path: Path, url: str) -> bool:
        """Take ``url`` for ``path``; a second file declaring it in this run fails."""
        claimed = self.catalogue.claimed
        if url in claimed:
            self.report.fail(path, f"repeats the url {url} of {claimed[url]}")
            return False
        claimed[url] = path
        return True

    def _write(self, batch: list[Parsed]) -> None:
        accepted = []
        for parsed in batch:
            if not self._claim(parsed.path, parsed.seed.url):
                self.catalogue.failed.append(parsed.path)
                continue
            accepted.append(parsed)
        if self.dry_run:
            for parsed in accepted:
                if parsed.seed.url in self.catalogue.by_url:
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
            if slug not in self.catalogue.subjects:
                subject, _ = Subject.objects.get_or_create(slug=slug, defaults={"title": subjects.title_from_slug(slug)})
                self.catalogue.subjects[slug] = subject.pk
        new = [p for p in batch if p.seed.url not in self.catalogue.by_url]
        old = [p for p in batch if p.seed.url in self.catalogue.by_url]
        with index.deferred(connection, refresh_at_end=not self.rebuild_index) as touched:
            pairs = self._insert_questions(new, now) + self._update_questions(old, now)
            pks = [pk for pk, _ in pairs]
            touched.update(pks)
            self.touched.update(pks)
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
            insert_rows(ArticleTerms, ["question_id", "terms"], [(pk, p.terms) for pk, p in pairs])
        if old:
            self._record_revisions(pks[len(new) :])
        for pk, parsed in pairs[: len(new)]:
            self.catalogue.by_url[parsed.seed.url] = pk
        self.written.extend(pks)
        self.report.created += len(new)
        self.report.updated += len(old)

    def _insert_questions(self, new: list[Parsed], now) -> list[tuple[int, Parsed]]:
        columns = ["subject_id", "slug", "status", "publish_at", "created_at", *QUESTION_FIELDS]
        rows = []
        for parsed in new:
            values = self._question_values(parsed, now, changed_at=seed_time(parsed.seed.date))
            subject = self.catalogue.subjects[parsed.seed.subject_slug]
            rows.append((subject, parsed.seed.slug, Question.Status.PUBLISHED, None, now, *map(values.get, QUESTION_FIELDS)))
        inserted = insert_rows(Question, columns, rows, returning=("id", "subject_id", "slug"))
        pk_of = {(subject, slug): pk for pk, subject, slug in inserted}
        return [(pk_of[self.catalogue.subjects[p.seed.subject_slug], p.seed.slug], p) for p in new]

    def _update_questions(self, old: list[Parsed], now) -> list[tuple[int, Parsed]]:
        pks = [self.catalogue.by_url[p.seed.url] for p in old]
        # An article that comes back after a --sync unpublished it is published again.
        returning = [pk for pk in pks if pk in self.catalogue.missing]
        rows = []
        for pk, parsed in zip(pks, old, strict=True):
            values = self._question_values(parsed, now, changed_at=now)
            rows.append((*map(values.get, QUESTION_FIELDS), pk))
        update_rows(Question, QUESTION_FIELDS, rows)
        if returning:
            Question.objects.filter(pk__in=returning).update(status=Question.Status.PUBLISHED)
        # Replaced whole below; the pages are invalidated once, at the end of the import.
        for model in (Answer, SEO, RelatedArticle, ArticleTerms):
            delete_rows(model, "question", pks)
        return list(zip(pks, old, strict=True))

    @staticmethod
    def _question_values(parsed: Parsed, now, changed_at) -> dict:
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
            "content_changed_at": changed_at,
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

    def _suggest(self) -> None:
        """Suggested related articles, once per import: for the articles it wrote, or for every
        article when it wrote most of them (a first import), which costs hardly more."""
        most = len(self.written) * 2 >= len(self.catalogue.by_url)
        store.refresh(None if most else self.written, workers=self.workers)

    # -- --sync ----------------------------------------------------------------------------

    def _sync(self) -> None:
        """Unpublish what the files no longer hold, and redirect articles that moved subject."""
        protected = set(self.catalogue.claimed)
        for path in self.catalogue.failed:
            # A broken file still exists: never unpublish the article it most likely holds.
            protected.add(article_path(path.parent.name, path.stem))
        gone = [pk for url, pk in self.catalogue.by_url.items() if url not in protected]
        stale = Question.objects.filter(pk__in=gone).exclude(status=Question.Status.UNPUBLISHED, source_missing=True)
        if self.dry_run:
            self.report.unpublished += stale.count()
            return
        with transaction.atomic():
            self.touched.update(stale.values_list("pk", flat=True))
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
