"""The admin site editors work in: QuickTakes CMS."""
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path

from qa.health import content_report

HEALTH_PER_PAGE = 50


class ArticleAutocompleteView(AutocompleteJsonView):
    """Lets a ModelAdmin label its autocomplete results (``autocomplete_label(obj)``).

    The same question is often cross-listed in two subjects, so "Question" alone cannot tell the
    two apart; QuestionAdmin adds the subject and any not-live status.
    """

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class QuickTakesAdminSite(admin.AdminSite):
    site_header = "QuickTakes CMS"
    site_title = "QuickTakes CMS"
    index_title = "Editorial desk"
    site_url = "/learn/"

    def autocomplete_view(self, request):
        return ArticleAutocompleteView.as_view(admin_site=self)(request)

    def get_urls(self):
        health = path("content-health/", self.admin_view(self.content_health_view), name="content_health")
        return [health, *super().get_urls()]

    def content_health_view(self, request):
        """What needs an editor's attention (qa/health.py), one category at a time, paginated."""
        report = content_report()
        by_key = {category.key: category for category in report}
        chosen = by_key.get(request.GET.get("category")) or next((c for c in report if c.count), report[0])
        page = Paginator(chosen.items, HEALTH_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.each_context(request),
            "title": "Content health",
            "report": report,
            "chosen": chosen,
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        }
        return TemplateResponse(request, "admin/content_health.html", context)
