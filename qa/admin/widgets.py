"""The answer editor's widget: markdownx beside a preview that looks exactly like the page."""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from markdownx.widgets import AdminMarkdownxWidget


class AnswerEditorWidget(AdminMarkdownxWidget):
    """markdownx's editor beside a preview frame that loads the reader pages' stylesheets.

    The preview is an iframe so the site's CSS (which styles html, body and the answer exactly as
    on the page) applies to it and nothing of the admin's leaks in, or out.
    """

    template_name = "qa/widgets/answer_editor.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 24, "spellcheck": "true", **(attrs or {})})

    @staticmethod
    def add_markdownx_attrs(attrs):
        attrs = AdminMarkdownxWidget.add_markdownx_attrs(attrs)
        # Editor and preview sit side by side at a fixed height and scroll together; markdownx's
        # grow-to-fit would make the editor as tall as the answer.
        attrs["data-markdownx-editor-resizable"] = "False"
        return attrs

    def get_context(self, name, value, attrs):
        if "__prefix__" in name:
            # The inline's hidden template row: markdownx skips editors marked as started, so it
            # does not fetch a preview for a form nobody will use.
            attrs = {**(attrs or {}), "data-markdownx-init": ""}
        context = super().get_context(name, value, attrs)
        context["preview_document"] = render_to_string("qa/widgets/answer_preview.html")
        context["upload_limit"] = filesizeformat(settings.MARKDOWNX_UPLOAD_MAX_SIZE)
        return context

    class Media:
        css = {"all": ["qa/admin/editor.css"]}
        js = ["qa/admin/editor.js"]
