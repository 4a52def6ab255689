"""Re-render every stored answer's HTML, after a change to qa.rendering.markdown (math, highlighting,
sanitiser allow-list…). Pages never parse Markdown; they show the stored HTML."""
from django.core.management.base import BaseCommand

from qa.imports.rerender import BATCH_SIZE, rerender_answers


class Command(BaseCommand):
    help = "Render Answer.html again from Answer.body for every answer; only changed rows are written."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"answers per batch (default {BATCH_SIZE})")
        parser.add_argument("--dry-run", action="store_true", help="render and count the changes, write nothing")

    def handle(self, *, batch_size, dry_run, **options):
        report = rerender_answers(batch_size=batch_size, dry_run=dry_run)
        line = (
            f"Rendered {report.rendered} answers in {report.seconds:.1f}s ({report.per_second:,.0f} answers/s, "
            f"{report.per_cpu_second:,.0f}/s of CPU time); "
            f"{report.changed} changed"
        )
        if dry_run:
            line = "dry run, nothing written: " + line
        self.stdout.write(self.style.SUCCESS(line))
