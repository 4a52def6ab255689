"""Who else has an article open: "Ana is also editing this article (since 12:03)".

Opening the change form records an EditingSession (article, user, browser session) and renders
the notices with the page, so they show without JavaScript. static/qa/admin/editing.js then
pings ``<id>/editing/`` every PING_SECONDS with the form's edit token: the ping keeps the
editor's row fresh, deletes rows nobody pinged for STALE_AFTER, and answers who else is there
and whether the article was saved since the page was loaded (its token is no longer current).
The notice only informs; what keeps a save from overwriting another is qa/admin/edit_guard.py.
"""
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qa.admin import edit_guard
from qa.admin.editor_views import editors_only
from qa.models import EditingSession

PING_SECONDS = 20
STALE_AFTER = timedelta(minutes=2)  # six missed pings: the tab was closed, the laptop slept
SAVED_RECENTLY = timedelta(minutes=10)  # a save this recent is worth a notice on opening the form


@dataclass
class Notice:
    kind: str  # "editing" (someone else has it open) or "saved" (someone saved it)
    text: str


def record(request, question):
    """Note that this user has the article open in this browser session; forget stale sessions."""
    now = timezone.now()
    EditingSession.objects.filter(last_seen_at__lt=now - STALE_AFTER).delete()
    if request.session.session_key is None:
        request.session.save()
    EditingSession.objects.update_or_create(
        question=question, user=request.user, session_key=request.session.session_key,
        defaults={"last_seen_at": now}, create_defaults={"started_at": now, "last_seen_at": now},
    )


def leave(request, question_id):
    """The editor saved and left the form (or reopens it, which records a new session)."""
    EditingSession.objects.filter(
        question_id=question_id, user=request.user, session_key=request.session.session_key or ""
    ).delete()


def others_editing(question, user) -> list[Notice]:
    sessions = (
        EditingSession.objects.filter(question=question, last_seen_at__gte=timezone.now() - STALE_AFTER)
        .exclude(user=user).select_related("user").order_by("started_at")
    )
    earliest = {}
    for session in sessions:  # someone in two browsers is one editor, there since the first
        earliest.setdefault(session.user_id, session)
    return [
        Notice("editing", f"{edit_guard.editor_name(session.user)} is also editing this article "
                          f"(since {date_format(timezone.localtime(session.started_at), 'H:i')}).")
        for session in earliest.values()
    ]


def _ago(moment) -> str:
    if timezone.now() - moment < timedelta(minutes=1):
        return "moments ago"
    return f"{timesince(moment)} ago"


def saved_notice(question_id, user, *, stale: bool) -> Notice | None:
    """The latest save, when the page is stale (saved since it was loaded) or, on opening the
    form, when someone else saved it moments ago."""
    save = edit_guard.last_save(question_id)
    if stale:
        if save is None:
            return Notice("saved", "This article changed since you opened it — reload to see the changes.")
        mine = save.user_id == user.pk
        who, where = ("You", " in another window") if mine else (save.by or "An import", "")
        return Notice("saved", f"{who} saved this article {_ago(save.at)}{where} — reload to see the changes.")
    if save and save.user_id != user.pk and timezone.now() - save.at < SAVED_RECENTLY:
        return Notice("saved", f"{save.by or 'An import'} saved this article {_ago(save.at)}.")
    return None


def notices(question, user, *, stale=False) -> list[Notice]:
    saved = saved_notice(question.pk, user, stale=stale)
    return others_editing(question, user) + ([saved] if saved else [])


class EditingPresenceMixin:
    """For the article's ModelAdmin: record and show who has the change form open, and the ping."""

    class Media:
        js = ["qa/admin/editing.js"]

    def _ping_url_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_editing"

    def get_urls(self):
        # Not admin_view: a script calls it, so a stranger gets 403, not the login page (see editors_only).
        ping = never_cache(require_POST(editors_only(self.editing_ping_view)))
        return [path("<path:object_id>/editing/", ping, name=self._ping_url_name()), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and self.has_change_permission(request, obj):
            record(request, obj)
            context["editing"] = {
                "notices": notices(obj, request.user),
                "ping_url": reverse(f"{self.admin_site.name}:{self._ping_url_name()}", args=[obj.pk]),
                "ping_seconds": PING_SECONDS,
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._leave_once_saved(request, object_id, response)

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        response = super()._reversion_revisionform_view(request, version, template_name, extra_context)
        return self._leave_once_saved(request, version.object_id, response)

    @staticmethod
    def _leave_once_saved(request, object_id, response):
        if request.method == "POST" and response.status_code == 302:
            leave(request, object_id)
        return response

    def editing_ping_view(self, request, object_id):
        """POST edit_token: record this editor, answer the notices as JSON."""
        question = self.get_object(request, object_id)
        if question is None:
            raise Http404
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        record(request, question)
        stale = request.POST.get(edit_guard.TOKEN_FIELD) != edit_guard.current_token(question.pk)
        found = notices(question, request.user, stale=stale)
        return JsonResponse({"notices": [asdict(notice) for notice in found], "saved_since_loaded": stale,
                             "ping_seconds": PING_SECONDS})
