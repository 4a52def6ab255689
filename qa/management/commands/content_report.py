"""Print the content-health report (qa/health.py): what needs an editor's attention."""
import json

from django.core.management.base import BaseCommand

from qa.health import content_report, report_json


class Command(BaseCommand):
    help = "List what needs an editor's attention, by category, with counts (qa/health.py)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--limit", type=int, default=10, help="Items printed per category in text (0: all). JSON has them all."
        )

    def handle(self, *args, format, limit, **options):
        report = content_report()
        if format == "json":
            self.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=1))
            return
        for category in report:
            self.stdout.write(f"{category.title}: {category.count}")
            for item in category.items[: limit or None]:
                self.stdout.write(f"  {item.url}" + (f"  — {item.detail}" if item.detail else ""))
            if limit and category.count > limit:
                self.stdout.write(f"  … and {category.count - limit} more")
