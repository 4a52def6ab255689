"""Rebuild the full-text index from the current questions, answers and SEO rows.

Triggers keep the index current on every write, so this is for repairs: after a
restore that bypassed them, or after a change of the index's definition.
"""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from qa.models import Question
from qa.search import index


class Command(BaseCommand):
    help = "Rebuild the full-text search index of questions; prints how many were indexed and how long it took."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database to rebuild (default: default)")

    def handle(self, *, database, **options):
        connection = connections[database]
        if not index.supports(connection):
            raise CommandError(f"full-text search needs SQLite or PostgreSQL, not {connection.vendor}")
        started = time.monotonic()
        with transaction.atomic(using=database):
            indexed = index.rebuild(connection)
        seconds = time.monotonic() - started
        published = Question.objects.using(database).published().count()
        self.stdout.write(
            self.style.SUCCESS(f"indexed {indexed} questions ({published} visible to readers) in {seconds:.1f} s")
        )
