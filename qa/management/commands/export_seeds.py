"""Write every article back out as a seed file: a backup the importer reads back field for field."""
import sys

from django.core.management.base import BaseCommand, CommandError

from qa.imports.exporter import export_seeds
from qa.models import Question, Subject


class Command(BaseCommand):
    help = (
        "Write every article as OUTDIR/<subject>/<slug>.md in the seed format, with its SEO fields, "
        "related articles and every extra front-matter key. Exporting twice gives identical files."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="directory to write into (created if missing)")
        parser.add_argument("--subject", help="export only this subject (its slug)")

    def handle(self, *, outdir, subject=None, **options):
        questions = Question.objects.all()
        if subject:
            if not Subject.objects.filter(slug=subject).exists():
                raise CommandError(f"no subject with the slug {subject!r}")
            questions = questions.filter(subject__slug=subject)

        report = export_seeds(outdir, questions)

        for error in report.errors:
            self.stderr.write(self.style.ERROR(f"error: {error}"))
        line = f"exported {report.written} articles to {outdir}, failed {len(report.errors)}"
        self.stdout.write(self.style.ERROR(line) if report.errors else self.style.SUCCESS(line))
        if report.not_published:
            # The seed format has no status: importing these files would publish them.
            self.stdout.write(self.style.WARNING(
                f"{report.not_published} of them are not published; seed files carry no status, "
                "so importing them publishes them"
            ))
        if report.errors:
            sys.exit(1)
