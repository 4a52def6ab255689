"""markdownx's preview and upload endpoints: editors only, image uploads checked by content."""
import re
import shutil
import tempfile
import time
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse
from PIL import Image

from qa.admin.widgets import AnswerEditorWidget
from qa.rendering.markdown import render_markdown
from tests.factories import factory

MARKDOWNIFY = reverse("markdownx_markdownify")
UPLOAD = reverse("markdownx_upload")
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


class EndpointAccessTests(TestCase):
    def test_urls_match_the_paths_the_widget_uses(self):
        self.assertEqual(MARKDOWNIFY, settings.MARKDOWNX_URLS_PATH)
        self.assertEqual(UPLOAD, settings.MARKDOWNX_UPLOAD_URLS_PATH)
        html = AnswerEditorWidget().render("body", "", {"id": "id_body"})
        self.assertIn(f'data-markdownx-urls-path="{MARKDOWNIFY}"', html)
        self.assertIn(f'data-markdownx-upload-urls-path="{UPLOAD}"', html)

    def test_anonymous_and_non_staff_get_403_not_a_login_redirect(self):
        png = factory.image_bytes()
        for user in (None, User.objects.create_user("member", password="x")):
            with self.subTest(user=user):
                if user:
                    self.client.force_login(user)
                response = self.client.post(MARKDOWNIFY, {"content": "**hi**"}, **AJAX)
                self.assertEqual(response.status_code, 403)
                upload = SimpleUploadedFile("a.png", png, content_type="image/png")
                self.assertEqual(self.client.post(UPLOAD, {"image": upload}, **AJAX).status_code, 403)

    def test_staff_without_the_permission_to_change_questions_get_403(self):
        # The attack: any staff account (say, one made for reading the logs) filling the media folder.
        self.client.force_login(factory.make_staff())
        self.assertEqual(self.client.post(MARKDOWNIFY, {"content": "**hi**"}, **AJAX).status_code, 403)
        upload = SimpleUploadedFile("a.png", factory.image_bytes(), content_type="image/png")
        self.assertEqual(self.client.post(UPLOAD, {"image": upload}, **AJAX).status_code, 403)

    def test_editors_get_the_sites_own_rendering(self):
        self.client.force_login(factory.make_editor())
        text = "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script> [x](javascript:alert(1))"
        response = self.client.post(MARKDOWNIFY, {"content": text}, **AJAX)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content.decode(), render_markdown(text))
        self.assertNotIn("<script", response.content.decode())
        self.assertNotIn("href=\"javascript", response.content.decode())

    def test_a_post_without_content_is_a_400_not_a_500(self):
        self.client.force_login(factory.make_editor())
        self.assertEqual(self.client.post(MARKDOWNIFY, {}, **AJAX).status_code, 400)

    def test_get_is_not_allowed(self):
        self.client.force_login(factory.make_editor())
        self.assertEqual(self.client.get(MARKDOWNIFY).status_code, 405)
        self.assertEqual(self.client.get(UPLOAD).status_code, 405)


class UploadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = factory.make_superuser()

    def setUp(self):
        self.media = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.media)
        media = override_settings(MEDIA_ROOT=self.media)
        media.enable()
        self.addCleanup(media.disable)
        self.client.force_login(self.admin)

    def upload(self, data, name="photo.png", content_type="image/png", ajax=True):
        upload = SimpleUploadedFile(name, data, content_type=content_type)
        return self.client.post(UPLOAD, {"image": upload}, **(AJAX if ajax else {}))

    def stored_files(self):
        return [p for p in self.media.rglob("*") if p.is_file()]

    def test_images_are_re_encoded_under_a_random_name_and_answer_with_markdown(self):
        for fmt, ext in [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")]:
            with self.subTest(fmt):
                response = self.upload(factory.image_bytes(fmt), name=f"../../holiday photo.{ext}", content_type="image/x-nonsense")
                self.assertEqual(response.status_code, 200, response.content)
                code = response.json()["image_code"]
                match = re.fullmatch(r"!\[\]\(/media/uploads/\d{4}/\d{2}/([0-9a-f]{32})\." + ext + r"\)", code)
                self.assertIsNotNone(match, code)
                stored = next(self.media.rglob(f"{match[1]}.{ext}"))
                with Image.open(stored) as image:
                    self.assertEqual(image.format, fmt)
                self.assertNotIn("holiday", str(stored))

    def test_the_content_decides_not_the_name_or_declared_type(self):
        response = self.upload(b"<?php system($_GET['c']); ?>", name="shell.png", content_type="image/png")
        self.assertEqual(response.status_code, 400)
        self.assertIn("not an image", response.json()["error"])
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
        self.assertEqual(self.upload(svg, name="logo.svg", content_type="image/svg+xml").status_code, 400)
        self.assertEqual(self.stored_files(), [])

    def test_other_image_formats_are_refused(self):
        out = BytesIO()
        Image.new("RGB", (4, 4)).save(out, "BMP")
        response = self.upload(out.getvalue(), name="a.bmp", content_type="image/bmp")
        self.assertEqual(response.status_code, 400)
        self.assertIn("BMP images are not accepted", response.json()["error"])

    def test_too_big_is_refused_before_decoding(self):
        self.assertEqual(settings.MARKDOWNX_UPLOAD_MAX_SIZE, 5 * 1024 * 1024)  # the default
        with override_settings(MARKDOWNX_UPLOAD_MAX_SIZE=1000):
            response = self.upload(factory.image_bytes("PNG", size=(300, 300), color=(1, 2, 3)) + b"\0" * 2000)
        self.assertEqual(response.status_code, 400)
        self.assertIn("at most 1000", response.json()["error"])
        self.assertEqual(self.stored_files(), [])

    def test_large_pictures_are_scaled_down(self):
        response = self.upload(factory.image_bytes("PNG", size=(5000, 100)))
        self.assertEqual(response.status_code, 200)
        with Image.open(self.stored_files()[0]) as image:
            self.assertEqual(image.size, (2400, 48))

    def gif(self, frames, size, **options):
        out = BytesIO()
        first, *rest = [Image.new("L", size, 80 * n) for n in range(frames)]
        first.save(out, "GIF", save_all=True, append_images=rest, **options)
        return out.getvalue()

    def test_an_animation_is_refused_when_all_its_frames_are_too_many_pixels(self):
        # The attack: two 6000×6000 frames in 53 KB; the first frame alone is under the limit.
        bomb = self.gif(2, (6000, 6000))
        self.assertLess(len(bomb), 60_000)
        started = time.process_time()
        response = self.upload(bomb, name="bomb.gif", content_type="image/gif")
        self.assertLess(time.process_time() - started, 1.0)  # refused before any frame is decoded
        self.assertEqual(response.status_code, 400)
        self.assertIn("too many pixels: 2 frames of 6,000×6,000", response.json()["error"])
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(self.upload(self.gif(3, (40, 30)), name="ok.gif").status_code, 200)

    def test_gif_comments_do_not_survive_re_encoding(self):
        # The attack: a GIF/JavaScript polyglot keeping its script in a comment block.
        payload = b"*/=1;alert(document.domain)//"
        for frames in (1, 3):
            with self.subTest(frames=frames):
                response = self.upload(self.gif(frames, (8, 8), comment=payload), name="poly.gif")
                self.assertEqual(response.status_code, 200)
                name = response.json()["image_code"].rsplit("/", 1)[1].rstrip(")")
                stored = next(self.media.rglob(name)).read_bytes()
                self.assertNotIn(b"alert", stored)
                with Image.open(BytesIO(stored)) as image:
                    self.assertNotIn("comment", image.info)
                    self.assertEqual(getattr(image, "n_frames", 1), frames)

    def test_a_plain_form_post_also_gets_json(self):
        self.assertEqual(self.upload(b"not an image", ajax=False).status_code, 400)
        self.assertIn("image_code", self.upload(factory.image_bytes(), ajax=False).json())
