from django import template

from qa.models import MAX_RELATED
from qa.suggestions import store

register = template.Library()


@register.inclusion_tag("admin/qa/question/suggestions_panel.html")
def suggestions_panel(question):
    """The article form's panel of suggested related articles (qa.admin.suggestions)."""
    return {
        "question": question,
        "suggestions": store.shown_to_editors(question),
        "can_accept": question.related_links.count() < MAX_RELATED,
    }
