"""Write articles back out as seed files, in the shape of the corpus files.

``seed_text(question)`` is the writer; ``export_seeds(outdir)`` writes every article to
``outdir/<subject>/<slug>.md``. Importing an export into an empty database gives the same
articles field for field, and exporting twice gives byte-identical files.

YAML is written by libyaml's emitter, one top-level key at a time, so each key gets the
indentation the corpus uses (``seo`` children by two spaces, everything else by four) while
the emitter still decides quoting: any text that folded style cannot carry safely (leading
spaces, control characters…) falls back to a quoted scalar instead of being mangled.
"""
import os
import tempfile
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import yaml
from django.core.exceptions import ObjectDoesNotExist

from qa.imports.seedfile import KNOWN_KEYS, RELATED_KEY, SeedError, encode_answer, parse_seed
from qa.models import Question
from qa.paths import article_path, split_article_path

BODY = "&nbsp;"
# Keys kept in Question.extra that the corpus writes at fixed places; other extra keys follow no_index.
PLACED_EXTRA = ("_schema", "subject", "file_name")


class Folded(str):
    """Text the corpus writes in folded block style (``key: >-``)."""


class SeedDumper(yaml.CSafeDumper):
    pass


# libyaml wants an exact str, not the marker subclass.
SeedDumper.add_representer(Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style=">"))
# The corpus writes `no_index: True`; YAML reads it as the same boolean as `true`.
SeedDumper.add_representer(bool, lambda d, v: d.represent_scalar("tag:yaml.org,2002:bool", str(v)))


def _dump(mapping: dict, indent: int) -> str:
    return yaml.dump(mapping, Dumper=SeedDumper, sort_keys=False, allow_unicode=True, width=-1, indent=indent)


def _one_to_one(question, name):
    try:
        return getattr(question, name)
    except ObjectDoesNotExist:
        return None


def front_matter(question: Question) -> list[tuple[str, object, int]]:
    """The (key, value, indent) entries of a question's front matter, in the corpus's order."""
    extra = dict(question.extra or {})
    answer, seo = _one_to_one(question, "answer"), _one_to_one(question, "seo")
    entries = [
        ("_schema", extra.get("_schema")),
        ("id", question.source_id),
        ("date", question.date),
        ("title", Folded(question.title)),
        ("article_title", Folded(question.article_title)),
        ("date_format", question.date_format),
        ("post_on_text", question.post_on_text),
        ("seo", {
            "title": seo.title if seo else "",
            "page_description": Folded(seo.page_description if seo else ""),
            "page_keywords": Folded(seo.page_keywords if seo else ""),
        }),
        ("author", question.author),
        ("question", Folded(question.question)),
        # The corpus writes no_index (rare) right after the question.
        ("no_index", True if question.no_index else None),
        ("answer", Folded(encode_answer(answer.body if answer else ""))),
        ("subject", extra.get("subject")),
        ("file_name", extra.get("file_name")),
        ("url", question.path),
        ("score", question.score),
    ]
    for link in question.related_links.all():
        target = {"id": link.target_source_id, "title": Folded(link.target_title),
                  "subject": link.target_subject, "url": link.target_url}
        entries.append((f"related_article{link.position}", {k: v for k, v in target.items() if v is not None}))
    # None leaves a key out, unless the seed itself had it empty (kept in extra).
    entries = [(key, value) for key, value in entries if value is not None or key in extra]
    # Every other key the model has no column for, as it was read. A key that would shadow a
    # column (only possible by editing extra by hand) is left out rather than written twice.
    entries += [
        (key, value) for key, value in extra.items()
        if key not in PLACED_EXTRA and key not in KNOWN_KEYS and not RELATED_KEY.match(key)
    ]
    return [(key, value, 2 if key == "seo" else 4) for key, value in entries]


def seed_text(question: Question) -> str:
    """The seed file for one question: YAML front matter between ``---`` lines, then ``&nbsp;``.

    Reads ``question.subject``, ``.answer``, ``.seo`` and ``.related_links``; select and
    prefetch them when writing many.
    """
    # One dump per run of keys with the same indentation: the keys before seo, seo, the rest.
    runs = groupby(front_matter(question), key=lambda entry: entry[2])
    yaml_text = "".join(_dump({key: value for key, value, _ in run}, indent) for indent, run in runs)
    return "---\n" + yaml_text + "---\n\n" + BODY


def seed_path(outdir: Path, question: Question) -> Path:
    return Path(outdir) / question.subject.slug / f"{question.slug}.md"


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace path in one step, so an interrupted export never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@dataclass
class ExportReport:
    written: int = 0
    not_published: int = 0
    errors: list[str] = field(default_factory=list)


def export_questions(queryset=None):
    """Every article with what seed_text reads, in a stable order, a chunk at a time."""
    queryset = Question.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("subject", "answer", "seo")
        .prefetch_related("related_links")
        .order_by("subject__slug", "slug")
        .iterator(chunk_size=500)
    )


def export_seeds(outdir, queryset=None) -> ExportReport:
    """Write each article of ``queryset`` (default: all) as ``outdir/<subject>/<slug>.md``.

    Each file is read back with the importer's parser before it is written, so an article
    that could not be imported again (say, an answer left empty) is reported, not written.
    """
    report = ExportReport()
    for question in export_questions(queryset):
        url = article_path(question.subject.slug, question.slug)
        if not split_article_path(url):
            report.errors.append(f"{url!r}: not a valid article url; not written")
            continue
        data = seed_text(question).encode("utf-8")
        try:
            parse_seed(data)
        except SeedError as exc:
            report.errors.append(f"{url}: would not import again ({exc}); not written")
            continue
        _write_atomic(seed_path(outdir, question), data)
        report.written += 1
        if not question.is_published():
            report.not_published += 1
    return report
