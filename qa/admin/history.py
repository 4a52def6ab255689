"""Article history: a first version for imported articles, the article's state (as a revision
holds it or as the database does, with the fingerprint qa/admin/edit_guard.py compares), and
readable diffs between versions.

A revision holds the question and what reversion follows from it (answer, SEO, related links;
see the registration in qa/models.py). An importer revision may hold many articles, so every
reading here is scoped to one question.
"""
import difflib
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from reversion.models import Version

from qa.models import SEO, Answer, Question, RelatedArticle, Subject

IMPORTED_COMMENT = "Imported version"

# The fields an editor cares about, in the order a diff lists them.
QUESTION_FIELDS = [
    "question", "subject", "slug", "status", "publish_at", "no_index", "title", "article_title", "date",
    "author", "date_format", "post_on_text", "score", "source_id", "extra",
]
SEO_FIELDS = ["title", "page_description", "page_keywords"]
SHORT_VALUE = 120  # longer values, or values with line breaks, get a line-by-line diff


def ensure_initial_version(question) -> bool:
    """Record the article as the database holds it, if it has no version yet.

    The importer records revisions only when it updates an article, so an imported article
    starts without one, and an editor's first save could not be undone. Must run outside the
    editor's own ``create_revision()`` block, or the two revisions would merge into one.
    """
    if Version.objects.get_for_object(question).exists():
        return False
    with reversion.create_revision():
        reversion.set_comment(IMPORTED_COMMENT)
        # Dated when the imported state was written, not when the editor happened to open it.
        reversion.set_date_created(question.updated_at)
        reversion.add_to_revision(question)
    return True


def _belongs(version, question_id) -> bool:
    if version._model is RelatedArticle:
        return version.field_dict["question_id"] == question_id
    return version._model in (Question, Answer, SEO) and version.object_id == str(question_id)


def article_versions(revision, question_id) -> list:
    """The versions in ``revision`` of one article: its question, answer, SEO and links.

    An import's revision holds a whole batch; the database narrows it to this article's own
    rows and the links (whose ids are their own), which are then told apart by their question.
    """
    question_id = int(question_id)
    links = ContentType.objects.get_for_model(RelatedArticle)
    rows = revision.version_set.select_related("content_type").filter(
        Q(object_id=str(question_id)) | Q(content_type=links)
    )
    return [v for v in rows if _belongs(v, question_id)]


# What only a user with the publish permission may change (QuestionAdmin.get_readonly_fields).
PUBLISHING_FIELDS = ("status", "publish_at")


@transaction.atomic
def revert_article(revision, question_id, delete=False, may_publish=True):
    """Write back one article as ``revision`` holds it, and nothing else it holds.

    The importer records one revision for a whole batch of updated articles; reversion's own
    Revision.revert() would put every one of them back. With ``delete``, the article's parts
    the version did not have (links added since, an answer or SEO row made since) go.
    Without ``may_publish`` the article keeps its status and schedule; a recovered (deleted)
    one comes back as a draft.
    """
    question_id = int(question_id)
    versions = article_versions(revision, question_id)
    publishing = Question.objects.filter(pk=question_id).values(*PUBLISHING_FIELDS).first() or {
        "status": Question.Status.DRAFT, "publish_at": None,
    }
    if delete:
        kept = {model: {v.object_id for v in versions if v._model is model} for model in (Answer, SEO, RelatedArticle)}
        RelatedArticle.objects.filter(question_id=question_id).exclude(pk__in=kept[RelatedArticle]).delete()
        for model in (Answer, SEO):
            if not kept[model]:
                model.objects.filter(question_id=question_id).delete()
    # The question first: the other rows point at it.
    for version in sorted(versions, key=lambda v: v._model is not Question):
        version.revert()
    # The version's own content_changed_at is when that content was first written; readers see a
    # change now.
    Question.objects.filter(pk=question_id).update(
        content_changed_at=timezone.now(), **({} if may_publish else publishing)
    )


def publishing_kept(version, may_publish) -> str:
    """What the revert page tells a user who may not publish, when the version's status or
    schedule differs from the article's (which the revert keeps); "" otherwise."""
    if may_publish:
        return ""
    data = next((v.field_dict for v in article_versions(version.revision, version.object_id) if v._model is Question), {})
    current = Question.objects.filter(pk=version.object_id).first()
    status, publish_at = data.get("status"), data.get("publish_at")
    if current is None:
        if status == Question.Status.DRAFT and publish_at is None:
            return ""
        return (f"This version was {Question.Status(status).label.lower()}; you may not publish, "
                "so the article comes back as a draft.")
    if (status, publish_at) == (current.status, current.publish_at):
        return ""
    field = Question._meta.get_field("status")
    return (f"This version was {_display(status, field).lower()}"
            + (f", scheduled for {_display(publish_at)}" if publish_at else "")
            + f"; you may not publish, so the article stays {current.get_status_display().lower()}"
            + (f", scheduled for {_display(current.publish_at)}" if current.publish_at else "")
            + ". Everything else is reverted.")


# -- states: the article's content in raw values, as a revision holds it or as the database does --
#
# {"question": {attname: value} for QUESTION_FIELDS, "answer": body or None, "seo": {name: value} or
# None, "links": [{"position", "target_url", "target_title"}, …] by position}; None: no article.


def revision_state(revision, question_id) -> dict | None:
    """The article as ``revision`` holds it, in raw values (see live_state); None if it holds no question."""
    by_model = defaultdict(list)
    for version in article_versions(revision, question_id):
        by_model[version._model].append(version)
    if not by_model[Question]:
        return None
    data = by_model[Question][0].field_dict
    seo = by_model[SEO][0].field_dict if by_model[SEO] else None
    return _state(
        {name: data.get(name) for name in _question_attnames()},
        by_model[Answer][0].field_dict["body"] if by_model[Answer] else None,
        seo and {name: seo[name] for name in SEO_FIELDS},
        [v.field_dict for v in by_model[RelatedArticle]],
    )


def live_state(question_id, *, lock=False) -> dict | None:
    """The article as the database holds it now, in raw values; None if it is gone.

    Two queries: the question with its answer and SEO row, then its links. ``lock`` first takes
    the question's row lock (SELECT … FOR UPDATE) for the rest of the caller's transaction, in a
    query of its own: on PostgreSQL a statement that had to wait for the lock re-reads the locked
    row but sees joined rows (the answer) as they were when it began, before the save it waited for.
    """
    if lock:
        list(Question.objects.select_for_update().filter(pk=question_id).values_list("pk"))
    question = Question.objects.select_related("answer", "seo").filter(pk=question_id).first()
    if question is None:
        return None
    answer, seo = getattr(question, "answer", None), getattr(question, "seo", None)
    return _state(
        {name: getattr(question, name) for name in _question_attnames()},
        answer.body if answer else None,
        seo and {name: getattr(seo, name) for name in SEO_FIELDS},
        RelatedArticle.objects.filter(question_id=question_id).values("position", "target_url", "target_title"),
    )


def _question_attnames():
    return [Question._meta.get_field(name).attname for name in QUESTION_FIELDS]  # subject_id, not subject


def _state(question: dict, answer: str | None, seo: dict | None, links) -> dict:
    links = sorted(({key: link[key] for key in ("position", "target_url", "target_title")} for link in links),
                   key=lambda link: link["position"])
    return {"question": question, "answer": answer, "seo": seo, "links": links}


def state_token(state: dict | None) -> str:
    """A short fingerprint of an article's state: equal states, equal tokens.

    Serialised as reversion stores versions (DjangoJSONEncoder, which keeps milliseconds), so a
    live state and the version that recorded it give the same token.
    """
    text = json.dumps(state, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- snapshots: states for people --------------------------------------------------------------


def _label(model, name):
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _display(value, model_field=None, subjects=None):
    if value is None or value == "":
        return ""
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if subjects is not None:
        return subjects.get(value, f"subject #{value}")
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) if value else ""
    return str(value)


def state_snapshot(state: dict | None, subjects: dict | None = None) -> dict[str, str]:
    """An article's state for people: display label → display text, in the order a diff lists them.

    ``subjects`` maps subject ids to titles; pass one dict across calls to load it once.
    """
    if subjects is None:
        subjects = {}
    if not subjects:
        rows = Subject.objects.values_list("pk", "title", "slug")
        subjects.update({pk: f"{title} ({slug})" for pk, title, slug in rows})
    snapshot = {}
    if state is None:
        return snapshot
    for name in QUESTION_FIELDS:
        model_field = Question._meta.get_field(name)
        snapshot[_label(Question, name)] = _display(
            state["question"].get(model_field.attname), model_field, subjects if name == "subject" else None
        )
    if state["answer"] is not None:
        snapshot["Answer"] = state["answer"]
    if state["seo"] is not None:
        for name in SEO_FIELDS:
            snapshot[_label(SEO, name)] = state["seo"][name] or ""
    snapshot["Related articles"] = "\n".join(
        f"{link['position']}. {link['target_url']}" + (f" — {link['target_title']}" if link["target_title"] else "")
        for link in state["links"]
    )
    return snapshot


def article_snapshot(revision, question_id, subjects: dict | None = None) -> dict[str, str]:
    """The article as ``revision`` holds it: display label → display text."""
    return state_snapshot(revision_state(revision, question_id), subjects)


# -- diffs -------------------------------------------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # "same", "removed", "added", "changed" or "gap" (unchanged lines left out)
    parts: list[tuple[str, str]] = field(default_factory=list)  # ("same" | "del" | "ins", text)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    lines: list[DiffLine] | None = None  # a line diff for long values; None for short ones


_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The changes within one line, word by word."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                parts.append(("del", "".join(a[i1:i2])))
            if j2 > j1:
                parts.append(("ins", "".join(b[j1:j2])))
    return parts


def line_diff(old: str, new: str, context: int = 1) -> list[DiffLine]:
    """Changed lines with ``context`` unchanged lines around them; replaced lines diffed by word."""
    a, b = old.splitlines(), new.splitlines()
    lines, shown_up_to = [], 0
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if group[0][1] > shown_up_to:
            lines.append(DiffLine("gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", [("same", line)]) for line in a[i1:i2])
                continue
            removed, added = a[i1:i2], b[j1:j2]
            if tag == "replace" and _similar(removed, added):
                paired = min(len(removed), len(added))
                lines.extend(DiffLine("changed", word_diff(x, y)) for x, y in zip(removed, added, strict=False))
                removed, added = removed[paired:], added[paired:]
            lines.extend(DiffLine("removed", [("del", line)]) for line in removed)
            lines.extend(DiffLine("added", [("ins", line)]) for line in added)
        shown_up_to = group[-1][2]
    if lines and shown_up_to < len(a):
        lines.append(DiffLine("gap"))
    return lines


def _similar(removed, added, threshold=0.5):
    """Are replaced lines edits of each other (worth a word diff) rather than new text?"""
    return all(
        difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() >= threshold
        for x, y in zip(removed, added, strict=False)
    )


def diff_snapshots(old: dict[str, str], new: dict[str, str]) -> list[FieldChange]:
    """What changed from ``old`` to ``new``, field by field, in ``new``'s order."""
    changes = []
    for label in list(new) + [label for label in old if label not in new]:
        before, after = old.get(label, ""), new.get(label, "")
        if before == after:
            continue
        long = "\n" in before or "\n" in after or max(len(before), len(after)) > SHORT_VALUE
        changes.append(FieldChange(label, before, after, line_diff(before, after) if long else None))
    return changes


@dataclass
class HistoryEntry:
    version: Version
    changes: list[FieldChange]
    is_first: bool


def article_history(question) -> list[HistoryEntry]:
    """Every version of the article, newest first, each with what it changed from the one before."""
    versions = list(
        Version.objects.get_for_object(question).select_related("revision", "revision__user").order_by("pk")
    )
    subjects, entries, previous = {}, [], None
    for version in versions:
        snapshot = article_snapshot(version.revision, question.pk, subjects)
        changes = diff_snapshots(previous, snapshot) if previous is not None else []
        entries.append(HistoryEntry(version, changes, is_first=previous is None))
        previous = snapshot
    entries.reverse()
    return entries
