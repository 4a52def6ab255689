"""Write static/css/code.css, the stylesheet for the Pygments classes of highlighted code.

Run after changing Pygments or qa.rendering.markdown.PYGMENTS_STYLE, and commit the file;
tests/test_rendering.py fails while it is out of date.
"""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from qa.rendering.markdown import pygments_stylesheet

CODE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "code.css"


class Command(BaseCommand):
    help = "Write static/css/code.css from the Pygments style the renderer uses."

    def handle(self, *args, **options):
        CODE_CSS.write_text(pygments_stylesheet(), encoding="utf-8")
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Wrote {CODE_CSS}"))
