"""Images editors upload into an answer: only what Pillow reads as one of four raster formats,
re-encoded (metadata and anything smuggled after the image data dropped) under a random name."""
import uuid
from io import BytesIO

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from markdownx.forms import ImageForm
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format → (stored extension, save options). Everything is re-encoded, so metadata and
# anything smuggled after the image data is dropped.
UPLOAD_FORMATS = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    # An explicit empty comment: Pillow would otherwise write the upload's comment back (a
    # GIF/JavaScript polyglot keeps its script there).
    "GIF": ("gif", {"comment": b""}),
    "WEBP": ("webp", {"quality": 85}),
}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them: all frames together
MAX_SIDE = 2400  # larger still pictures are scaled down, keeping their proportions


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
                # Counting frames reads their headers only; re-encoding decodes every one.
                frames = getattr(image, "n_frames", 1)
                if frames * image.width * image.height > MAX_PIXELS:
                    raise forms.ValidationError(
                        f"The animation has too many pixels: {frames:,} frames of "
                        f"{image.width:,}×{image.height:,}.",
                        code="too_many_pixels",
                    )
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
