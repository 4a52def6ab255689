"""The answer editor: django-markdownx with the page's own preview, behind staff-only endpoints.

Out of the box markdownx's two endpoints answer anyone (neutronX/django-markdownx#136, #160), keep
the uploaded file's name and extension, store GIF and SVG byte for byte, and crop pictures to
500x500. Here both views are re-registered under markdownx's own URL names and paths (the widget
reads the paths from the MARKDOWNX_*_URLS_PATH settings, so the URLconf is built from them too),
for staff who may change questions, and an upload is accepted only if Pillow can read it as one of four raster
formats, which it then re-encodes under a random name.
"""
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from markdownx.views import ImageUploadView, MarkdownifyView

from qa.admin.uploads import EditorImageForm
from qa.rendering.markdown import too_long

# -- access ------------------------------------------------------------------------------------


def editors_only(view):
    """Staff who may change questions; others get 403 rather than a redirect to the login page.

    These endpoints are called by the editor's JavaScript: a redirect would hand it the login
    page's HTML as a "preview", and tells a stranger nothing a 403 does not. Being staff is not
    enough: a staff user with no permission could otherwise fill the media folder.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm("qa.change_question")):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class EditorImageUploadView(ImageUploadView):
    """Always answers JSON: markdownx's own view needs a template for non-AJAX posts and errors."""

    form_class = EditorImageForm
    http_method_names = ["post"]

    def form_invalid(self, form):
        errors = [message for messages in form.errors.values() for message in messages]
        return JsonResponse({"error": " ".join(errors), "errors": form.errors}, status=400)

    def form_valid(self, form):
        return JsonResponse({"image_code": f"![]({form.save()})"})


class EditorMarkdownifyView(MarkdownifyView):
    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("Send the Markdown as the “content” field.")
        if problem := too_long(request.POST["content"]):
            return HttpResponseBadRequest(problem)
        return super().post(request, *args, **kwargs)


def _route(url_path):
    """A URLconf route from a MARKDOWNX_*_URLS_PATH setting ("/markdownx/upload/")."""
    return url_path.lstrip("/")


urlpatterns = [
    path(
        _route(settings.MARKDOWNX_UPLOAD_URLS_PATH),
        never_cache(editors_only(EditorImageUploadView.as_view())),
        name="markdownx_upload",
    ),
    path(
        _route(settings.MARKDOWNX_URLS_PATH),
        never_cache(editors_only(EditorMarkdownifyView.as_view())),
        name="markdownx_markdownify",
    ),
]
