from django import template

from qa.rendering.dates import format_moment
from qa.seo import listing_page_url

register = template.Library()


@register.filter
def moment_date(value, moment_format):
    """``{{ question.date|moment_date:question.date_format }}`` → "Jan 24, 2025"."""
    return format_moment(value, moment_format) if value else ""


@register.simple_tag
def page_url(path, number):
    return listing_page_url(path, number)
