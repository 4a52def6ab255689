"""Bulk-load seed files (Markdown with YAML front matter) into the CMS."""
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from qa.imports.importer import SeedImporter, collect_seed_files
from qa.imports.report import ImportInputError


class Command(BaseCommand):
    help = (
        "Import seed files or directories (recursively, .md and .txt). Idempotent: the declared url is the "
        "key and unchanged files are skipped. Bad files are reported and skipped; the exit status is 1 if any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="seed files or directories")
        parser.add_argument("--subjects", help="YAML file of subjects: slug, title, listed (in display order)")
        parser.add_argument("--redirects", help="CSV of old_path,new_path permanent redirects")
        parser.add_argument("--sync", action="store_true", help="the given paths are the whole truth: "
                            "unpublish articles whose file is gone and redirect articles that moved subject")
        parser.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *, paths, subjects=None, redirects=None, sync=False, dry_run=False, quiet=False, **options):
        show_progress = not quiet and options["verbosity"] > 0 and sys.stderr.isatty()
        try:
            files = collect_seed_files(paths)
            with tqdm(total=len(files), disable=not show_progress, unit="file", file=sys.stderr) as bar:
                importer = SeedImporter(dry_run=dry_run, sync=sync, progress=bar.update)
                if subjects:
                    importer.load_subjects(subjects)
                report = importer.run(files)
                if redirects:
                    importer.load_redirects(redirects)
        except ImportInputError as exc:
            raise CommandError(str(exc)) from None

        for error in report.errors:
            self.stderr.write(self.style.ERROR(f"error: {error}"))
        if options["verbosity"] > 1:
            for warning in report.warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        line = report.summary()
        if redirects or report.redirects:
            line += f", redirects {report.redirects}"
        if report.warnings:
            line += f", warnings {len(report.warnings)}"
        if dry_run:
            line = "dry run, nothing written: " + line
        self.stdout.write(self.style.ERROR(line) if report.failed else self.style.SUCCESS(line))
        if report.failed:
            sys.exit(1)
