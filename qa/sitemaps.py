"""/sitemap.xml: an index of one sitemap per subject (paginated at 50,000 URLs) plus one for the
listing pages. Only indexable articles are listed; lastmod is the article's
content_changed_at: when what readers see last changed, never a mere write of the row."""
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import Count, Max
from django.urls import reverse

from qa.models import Question, Subject
from qa.paths import article_path, subject_path
from qa.seo import absolute_url


class SiteURLSitemap(Sitemap):
    """Absolute URLs on settings.SITE_URL rather than on the Sites framework's domain."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class SubjectQuestionsSitemap(SiteURLSitemap):
    def __init__(self, subject: Subject):
        self.subject = subject

    def items(self):
        return Question.objects.indexable().filter(subject=self.subject).order_by("pk").only("slug", "content_changed_at")

    def location(self, item):
        # Built from the known subject: item.get_absolute_url() would fetch each item's subject.
        return article_path(self.subject.slug, item.slug)

    def lastmod(self, item):
        return item.content_changed_at


class ListingPagesSitemap(SiteURLSitemap):
    """/learn/ and the first page of each listed subject with indexable articles."""

    def items(self):
        sections = indexable_sections()
        learn = (reverse("qa:learn-index"), max((s["latest"] for s in sections), default=None))
        subjects = [
            (subject_path(s["subject__slug"]), s["latest"]) for s in sections
        ]
        return [learn, *subjects] if sections else []

    def location(self, item):
        return item[0]

    def lastmod(self, item):
        return item[1]


def indexable_sections():
    """Per listed subject with indexable articles: slug, article count, latest change (one query)."""
    return list(
        Question.objects.indexable()
        .order_by("subject__position", "subject__slug")
        .values("subject__slug", "subject__position")
        .annotate(count=Count("pk"), latest=Max("content_changed_at"))
    )


def subject_sitemap(slug: str) -> SubjectQuestionsSitemap | None:
    subject = Subject.objects.filter(slug=slug, is_listed=True).first()
    return SubjectQuestionsSitemap(subject) if subject else None


def index_items() -> list[SitemapIndexItem]:
    """Every sitemap file with its lastmod; a subject over the limit gets ?p=2, ?p=3, …"""
    sections = indexable_sections()
    if not sections:
        return []
    items = [SitemapIndexItem(absolute_url(reverse("qa:sitemap-pages")), max(s["latest"] for s in sections))]
    for section in sections:
        url = absolute_url(reverse("qa:sitemap-subject", kwargs={"subject": section["subject__slug"]}))
        pages = -(-section["count"] // SubjectQuestionsSitemap.limit)
        items.append(SitemapIndexItem(url, section["latest"]))
        items.extend(SitemapIndexItem(f"{url}?p={page}", section["latest"]) for page in range(2, pages + 1))
    return items
