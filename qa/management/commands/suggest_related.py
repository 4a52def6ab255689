"""Recompute every article's suggested related articles from its current text.

Imports and editors' saves keep suggestions current; this is for a database whose articles were
there before suggestions existed, or after a change to how they are computed. Hidden suggestions
stay hidden.
"""
import os
import time

from django.core.management.base import BaseCommand

from qa.serving import page_cache
from qa.suggestions import store


class Command(BaseCommand):
    help = "Recompute every article's suggested related articles; prints how many and how long it took."

    def handle(self, **options):
        started = time.monotonic()
        packed = store.pack_all()
        stored = store.refresh(workers=os.cpu_count() or 1)
        page_cache.invalidate_pages()
        self.stdout.write(
            self.style.SUCCESS(f"{stored} suggestions for {packed} articles in {time.monotonic() - started:.1f} s")
        )
