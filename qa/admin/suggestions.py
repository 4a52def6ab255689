"""The "Suggested related articles" panel of the article form: accept a suggestion (it becomes a
declared link) or hide it (never suggested again).

The panel's buttons sit inside the change form and post it here through ``formaction``: a form
inside a form is not valid HTML. Only ``accept`` or ``hide`` is read; the editor's unsaved edits
are not saved, which the panel says.
"""
import reversion
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from qa.admin import history
from qa.suggestions import store

URL_NAME = "qa_question_suggestion"


def urls(model_admin) -> list:
    """For QuestionAdmin.get_urls(): the panel's one endpoint, behind the admin's login and CSRF checks."""

    @require_POST
    def view(request, object_id):
        return act_on_suggestion(model_admin, request, object_id)

    return [path("<path:object_id>/suggestion/", model_admin.admin_site.admin_view(view), name=URL_NAME)]


def _target(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def act_on_suggestion(model_admin, request, object_id):
    question = model_admin.get_object(request, unquote(object_id))
    if question is None:
        raise Http404
    if not model_admin.has_change_permission(request, question):
        raise PermissionDenied
    accept, hide = _target(request.POST.get("accept")), _target(request.POST.get("hide"))
    if accept is not None:
        history.ensure_initial_version(question)
        with reversion.create_revision():
            reversion.set_user(request.user)
            link = store.accept(question, accept)
            if link is not None:
                reversion.set_comment(f"Accepted the suggested related article {link.target_url}")
                reversion.add_to_revision(question)
        if link is None:
            model_admin.message_user(
                request,
                "That suggestion could not be accepted: it is gone, or the article already declares five related articles.",
                messages.WARNING,
            )
        else:
            model_admin.log_change(request, question, f"Accepted the suggested related article {link.target_url}.")
            model_admin.message_user(
                request, f"“{link.target_title}” is now related article {link.position}.", messages.SUCCESS
            )
    elif hide is not None and store.hide(question, hide):
        model_admin.log_change(request, question, "Hid a suggested related article.")
        model_admin.message_user(request, "The suggestion is hidden and will not be suggested again.", messages.SUCCESS)
    else:
        model_admin.message_user(request, "Nothing to do: no such suggestion.", messages.WARNING)
    return HttpResponseRedirect(reverse("admin:qa_question_change", args=[question.pk], current_app=model_admin.admin_site.name))
