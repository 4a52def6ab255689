from django.urls import path, re_path
from django.views.generic import RedirectView

from qa import feeds, views

app_name = "qa"
SLUG = "[-a-zA-Z0-9_]+"  # as the slug path converter

urlpatterns = [
    path("learn/", views.learn_index, name="learn-index"),
    path("learn/feed.atom", feeds.LatestQuestionsFeed(), name="feed"),
    path("learn/<slug:subject>/", views.subject_detail, name="subject-detail"),
    path("learn/<slug:subject>/feed.atom", feeds.SubjectQuestionsFeed(), name="subject-feed"),
    path("learn/<slug:subject>/questions/<slug:slug>", views.question_detail, name="question-detail"),
    # The declared URL has no trailing slash; the slashed spelling moves there for good.
    path(
        "learn/<slug:subject>/questions/<slug:slug>/",
        RedirectView.as_view(pattern_name="qa:question-detail", permanent=True, query_string=True),
    ),
    # The old site's relative related links made these; its robots.txt disallowed them.
    re_path(
        rf"^learn/(?P<subject>{SLUG})/questions/undefined/learn/(?P<target_subject>{SLUG})/questions/(?P<slug>{SLUG})/?$",
        views.old_site_broken_url,
    ),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap_index, name="sitemap-index"),
    path("sitemap-pages.xml", views.sitemap_pages, name="sitemap-pages"),
    path("sitemaps/<slug:subject>.xml", views.sitemap_subject, name="sitemap-subject"),
    path("search", views.search, name="search"),
]
