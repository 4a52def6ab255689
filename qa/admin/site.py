"""The admin site editors work in: QuickTakes CMS."""
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView


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
