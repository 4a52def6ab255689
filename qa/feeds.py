"""Atom feeds of the newest questions, site-wide and per listed subject.

Feeds announce pages to the world (search engines read them too), so they list indexable
articles only: nothing from unlisted subjects and no no_index article."""
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from qa.models import Question, Subject
from qa.seo import absolute_url, author_name, published_datetime, question_description

FEED_LENGTH = 50


class TextSummaryAtomFeed(Atom1Feed):
    """Atom with the summary sent as text: Django's is always ``type="html"``, so a reader would
    render a description's ``<img src=x onerror=…>`` (escaped once in the XML) as markup."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class LatestQuestionsFeed(Feed):
    """Links are absolute on settings.SITE_URL; Django's default would use the Sites domain."""

    feed_type = TextSummaryAtomFeed
    title = f"{settings.SITE_NAME}: newest questions"
    subtitle = "New study questions with clear answers, in every subject."

    def link(self):
        return absolute_url(reverse("qa:learn-index"))

    def feed_url(self):
        return absolute_url(reverse("qa:feed"))

    @staticmethod
    def newest(questions):
        # The answer's HTML is only read when an article has no meta description.
        questions = questions.select_related("subject", "answer", "seo").defer("answer__body")
        return questions.order_by("-date", "-id")[:FEED_LENGTH]

    def items(self):
        return self.newest(Question.objects.indexable())

    def item_title(self, item):
        return item.question

    def item_description(self, item):
        return question_description(item)

    def item_link(self, item):
        return absolute_url(item.path)

    def item_pubdate(self, item):
        return published_datetime(item)

    def item_updateddate(self, item):
        return item.content_changed_at

    def item_author_name(self, item):
        return author_name(item)

    def item_categories(self, item):
        return [item.subject.title]


class SubjectQuestionsFeed(LatestQuestionsFeed):
    def get_object(self, request, subject):
        return get_object_or_404(Subject, slug=subject, is_listed=True)

    def title(self, subject):
        return f"{subject.title}: newest questions | {settings.SITE_NAME}"

    def subtitle(self, subject):
        return f"New study questions in {subject.title}."

    def link(self, subject):
        return absolute_url(subject.get_absolute_url())

    def feed_url(self, subject):
        return absolute_url(reverse("qa:subject-feed", kwargs={"subject": subject.slug}))

    def items(self, subject):
        return self.newest(Question.objects.indexable().filter(subject=subject))
