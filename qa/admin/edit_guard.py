"""Two editors, one article: a save never silently replaces changes its editor has not seen.

The change form, and the revert form, carry a hidden ``edit_token``: the fingerprint of the
article as the editor loaded it (``history.state_token``). On POST, before anything is written,
the article is read again under its row lock (inside the admin's transaction) and fingerprinted.
If it changed in between, the save is refused: the form's error names who saved and when, the
page shows what changed since this editor opened it, the re-shown form keeps everything the
editor typed and carries the new token, so saving again (having seen the change) goes through.

A POST without a token is refused the same way. Every form the admin renders carries one, so
only a page opened before this guard existed, or a hand-made request, lacks it; neither says
which version its editor saw, so neither may overwrite whatever is there now.

A revert writes the old version into the database before its form runs; the state just before
that write is captured (under the lock) and is what the revert form's token is compared with.
"""
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Version

from qa.admin import history
from qa.models import Question

TOKEN_FIELD = "edit_token"
# Set on the request by a revert, just before reversion writes the old version.
STATE_BEFORE_REVERT = "_qa_state_before_revert"
# How many of the article's latest versions are searched for the one the editor opened.
VERSIONS_SEARCHED = 20


def current_token(question_id) -> str:
    """The token of the article as the database holds it now (what a freshly loaded form carries)."""
    return history.state_token(history.live_state(question_id))


def remember_state_before_revert(request, question_id):
    """Called inside the revert's transaction, before it writes: lock the row, keep its state."""
    setattr(request, STATE_BEFORE_REVERT, history.live_state(question_id, lock=True))


@dataclass
class LastSave:
    by: str  # the editor's name; "" for an import
    at: datetime
    user_id: int | None = None

    def __str__(self):
        return f"{self.by or 'An import'} saved this article on {date_format(timezone.localtime(self.at), 'DATETIME_FORMAT')}"


def last_save(question_id) -> LastSave | None:
    """The latest recorded change of the article: a version (admin save, import, revert) or a
    log entry (bulk actions record no version), whichever is newer."""
    version = (
        Version.objects.get_for_object_reference(Question, question_id)
        .select_related("revision__user").order_by("-pk").first()
    )
    entry = (
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Question), object_id=str(question_id))
        .select_related("user").order_by("-action_time").first()
    )
    saves = []
    if version is not None:
        saves.append((version.revision.date_created, version.revision.user))
    if entry is not None:
        saves.append((entry.action_time, entry.user))
    if not saves:
        return None
    at, user = max(saves, key=lambda save: save[0])
    return LastSave(by=editor_name(user) if user else "", at=at, user_id=user and user.pk)


def editor_name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class Conflict:
    """Why a save was refused, and what the editor should look at before saving again."""

    last_save: LastSave | None
    changes: list[history.FieldChange] = field(default_factory=list)
    since_opened: bool = True  # False: the version the editor opened is not in the history
    token_missing: bool = False

    @property
    def message(self) -> str:
        if self.token_missing:
            return ("Nothing was saved: this page does not say which version of the article you opened "
                    "(it was opened before the article's edit check existed). Check the article as it is "
                    "now below, then save again to keep your changes.")
        who = str(self.last_save) if self.last_save else "Someone saved this article"
        return (f"{who}, after you opened it. Nothing of yours was saved yet: your changes are still in the "
                "form below. Compare them with what changed, then save again to keep yours.")


def _opened_state(question_id, token):
    """The article's state whose token the editor's form carried, from its recent versions;
    failing that, the state before its latest version (so the diff shows that save)."""
    versions = list(
        Version.objects.get_for_object_reference(Question, question_id).select_related("revision")
        .order_by("-pk")[:VERSIONS_SEARCHED]
    )
    states = [history.revision_state(version.revision, question_id) for version in versions]
    for state in states:
        if history.state_token(state) == token:
            return state, True
    return (states[1] if len(states) > 1 else None), False


def find_conflict(question_id, token, state_now) -> Conflict | None:
    """None when ``token`` is the token of ``state_now``; else what the editor has not seen."""
    if token and token == history.state_token(state_now):
        return None
    if not token:
        return Conflict(last_save(question_id), token_missing=True)
    opened, found = _opened_state(question_id, token)
    subjects = {}
    changes = history.diff_snapshots(
        history.state_snapshot(opened, subjects), history.state_snapshot(state_now, subjects)
    )
    return Conflict(last_save(question_id), changes, since_opened=found)


class EditGuard:
    """The check for one request on one article, attached to its form class by ``guarded``."""

    def __init__(self, request, question_id):
        self.request, self.question_id = request, question_id

    def state_now(self, lock=False):
        if hasattr(self.request, STATE_BEFORE_REVERT):
            return getattr(self.request, STATE_BEFORE_REVERT)
        return history.live_state(self.question_id, lock=lock)

    def check(self, form):
        """Refuse the form (an error, and ``form.edit_conflict``) if the article changed since it was loaded."""
        state = self.state_now(lock=True)
        conflict = find_conflict(self.question_id, form.data.get(form.add_prefix(TOKEN_FIELD)), state)
        if conflict is None:
            return
        form.edit_conflict = conflict
        # The re-shown form carries the new token: saving it again is a decision made with the change in view.
        form.data = form.data.copy()
        form.data[form.add_prefix(TOKEN_FIELD)] = history.state_token(state)
        form.add_error(None, forms.ValidationError(conflict.message, code="edit_conflict"))


class TokenField(forms.CharField):
    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False  # not an edit: neither the change message nor "did the content change" sees it


class GuardedFormMixin:
    edit_guard: EditGuard
    edit_conflict: Conflict | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial[TOKEN_FIELD] = history.state_token(self.edit_guard.state_now())

    def clean(self):
        cleaned = super().clean()
        self.edit_guard.check(self)
        return cleaned


def guarded(form_class, guard: EditGuard):
    """``form_class`` with the hidden token field, checked by ``guard`` when the form is cleaned."""
    attrs = {TOKEN_FIELD: TokenField(required=False), "edit_guard": guard}
    return type(form_class.__name__, (GuardedFormMixin, form_class), attrs)


class EditGuardMixin:
    """For the article's ModelAdmin (a reversion VersionAdmin): guard the change and revert forms."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not change:
            return form_class
        return guarded(form_class, EditGuard(request, obj.pk))

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        revert = version.revision.revert

        def remember_then_revert(*args, **kwargs):
            remember_state_before_revert(request, version.object_id)
            return revert(*args, **kwargs)

        version.revision.revert = remember_then_revert
        return super()._reversion_revisionform_view(request, version, template_name, extra_context)
