"""The answer editor: django-markdownx with the page's own preview, behind staff-only endpoints.

Out of the box markdownx's two endpoints answer anyone (neutronX/django-markdownx#136, #160), keep
the uploaded file's name and extension, store GIF and SVG byte for byte, and crop pictures to
500x500. Here both views are re-registered under markdownx's own URL names and paths (the widget
reads the paths from the MARKDOWNX_*_URLS_PATH settings, so the URLconf is built from them too),
for staff only, and an upload is accepted only if Pillow can read it as one of four raster
formats, which it then re-encodes under a random name.
"""
import uuid
from functools import wraps
from io import BytesIO

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from markdownx.forms import ImageForm
from markdownx.views import ImageUploadView, MarkdownifyView
from markdownx.widgets import AdminMarkdownxWidget
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format → (stored extension, save options). Everything is re-encoded, so metadata and
# anything smuggled after the image data is dropped.
UPLOAD_FORMATS = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "GIF": ("gif", {}),
    "WEBP": ("webp", {"quality": 85}),
}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
MAX_SIDE = 2400  # larger still pictures are scaled down, keeping their proportions


# -- access ------------------------------------------------------------------------------------


def staff_only(view):
    """Like staff_member_required, but answers 403 instead of redirecting to the login page.

    These endpoints are called by the editor's JavaScript: a redirect would hand it the login
    page's HTML as a "preview", and tells a stranger nothing a 403 does not.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# -- uploads -----------------------------------------------------------------------------------


class EditorImageForm(ImageForm):
    """markdownx's upload form, checking the file's content rather than its declared type."""

    def clean(self):
        upload = self.cleaned_data.get("image")
        if not upload:
            raise forms.ValidationError("Choose an image to upload.", code="missing")
        limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                f"Images can be at most {filesizeformat(limit)}; this one is {filesizeformat(upload.size)}.",
                code="too_big",
            )
        try:
            with Image.open(upload) as image:
                fmt = image.format
                if fmt not in UPLOAD_FORMATS:
                    raise forms.ValidationError(
                        f"{fmt} images are not accepted; use JPEG, PNG, GIF or WebP.", code="format"
                    )
                if image.width * image.height > MAX_PIXELS:
                    raise forms.ValidationError("The image has too many pixels.", code="too_many_pixels")
                image.verify()  # checks the data without decoding every pixel
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
            raise forms.ValidationError(
                "This file is not an image Pillow can read (JPEG, PNG, GIF or WebP).", code="not_image"
            ) from exc
        self.image_format = fmt
        return self.cleaned_data

    def save(self, commit=True):
        upload = self.cleaned_data["image"]
        upload.seek(0)
        extension, options = UPLOAD_FORMATS[self.image_format]
        with Image.open(upload) as image:
            data = reencode(image, self.image_format, options)
        # A fresh folder per month and a random name: nothing of the uploaded name survives.
        name = f"{settings.MARKDOWNX_MEDIA_PATH.strip('/')}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"
        name = default_storage.save(name, ContentFile(data))
        return default_storage.url(name)


def reencode(image, fmt, options) -> bytes:
    out = BytesIO()
    if getattr(image, "n_frames", 1) > 1:
        # Animated GIF/WebP: every frame is re-encoded at its own size.
        image.save(out, fmt, save_all=True, **options)
        return out.getvalue()
    image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is dropped
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, fmt, **options)
    return out.getvalue()


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
        return super().post(request, *args, **kwargs)


def _route(url_path):
    """A URLconf route from a MARKDOWNX_*_URLS_PATH setting ("/markdownx/upload/")."""
    return url_path.lstrip("/")


urlpatterns = [
    path(
        _route(settings.MARKDOWNX_UPLOAD_URLS_PATH),
        never_cache(staff_only(EditorImageUploadView.as_view())),
        name="markdownx_upload",
    ),
    path(
        _route(settings.MARKDOWNX_URLS_PATH),
        never_cache(staff_only(EditorMarkdownifyView.as_view())),
        name="markdownx_markdownify",
    ),
]


# -- the widget --------------------------------------------------------------------------------


class AnswerEditorWidget(AdminMarkdownxWidget):
    """markdownx's editor beside a preview frame that loads the reader pages' stylesheets.

    The preview is an iframe so the site's CSS (which styles html, body and the answer exactly as
    on the page) applies to it and nothing of the admin's leaks in, or out.
    """

    template_name = "qa/widgets/answer_editor.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 24, "spellcheck": "true", **(attrs or {})})

    @staticmethod
    def add_markdownx_attrs(attrs):
        attrs = AdminMarkdownxWidget.add_markdownx_attrs(attrs)
        # Editor and preview sit side by side at a fixed height and scroll together; markdownx's
        # grow-to-fit would make the editor as tall as the answer.
        attrs["data-markdownx-editor-resizable"] = "False"
        return attrs

    def get_context(self, name, value, attrs):
        if "__prefix__" in name:
            # The inline's hidden template row: markdownx skips editors marked as started, so it
            # does not fetch a preview for a form nobody will use.
            attrs = {**(attrs or {}), "data-markdownx-init": ""}
        context = super().get_context(name, value, attrs)
        context["preview_document"] = render_to_string("qa/widgets/answer_preview.html")
        context["upload_limit"] = filesizeformat(settings.MARKDOWNX_UPLOAD_MAX_SIZE)
        return context

    class Media:
        css = {"all": ["qa/admin/editor.css"]}
        js = ["qa/admin/editor.js"]
