"""The reader's search page, /search: what a reader sees, on either database."""
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qa.models import Question
from tests.factories import factory
from tests.test_search import HOSTILE_QUERIES

URL = reverse("qa:search")


class SearchPageStatesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factory.make_question(question="How do cells divide?", body="Cells divide by **mitosis** and meiosis.")

    def test_url_is_search(self):
        assert URL == "/search"

    def test_result_pages_are_not_indexed(self):
        for query in ["", "cells", "zeppelin"]:
            with self.subTest(query=query):
                self.assertContains(
                    self.client.get(URL, {"q": query}), '<meta name="robots" content="noindex, follow">', html=True
                )

    def test_empty_query_invites_a_search(self):
        response = self.client.get(URL)
        self.assertContains(response, "Type a few words from your question")
        self.assertNotContains(response, "search-results")

    def test_only_common_words_are_explained(self):
        self.assertContains(self.client.get(URL, {"q": "what is the"}), "only very common words")

    def test_no_result_is_said_plainly(self):
        response = self.client.get(URL, {"q": "zeppelin"})
        self.assertContains(response, "No article matches “zeppelin”")

    def test_some_words_only_is_said(self):
        self.assertContains(self.client.get(URL, {"q": "mitosis zeppelin"}), "No article has all of your words")

    def test_the_query_is_kept_in_the_box(self):
        self.assertContains(
            self.client.get(URL, {"q": "cells <b>"}),
            '<input type="search" id="search-q" name="q" value="cells &lt;b&gt;" maxlength="200">',
            html=True,
        )


class SearchResultsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.biology = factory.make_subject("biology", "Biology")
        cls.hidden = factory.make_subject("secret-stuff", "Secret Stuff", is_listed=False)
        cls.article = factory.make_question(
            question="How do <cells> divide?", subject=cls.biology,
            body="Cells divide by **mitosis**. <script>alert(1)</script> & so on.",
        )

    def test_a_result_links_the_question_with_its_subject_and_a_marked_snippet(self):
        response = self.client.get(URL, {"q": "mitosis"})
        self.assertContains(response, f'<a href="{self.article.get_absolute_url()}">How do &lt;cells&gt; divide?</a>',
                            html=True)
        self.assertContains(response, '<a href="/learn/biology/">Biology</a>', html=True)
        self.assertContains(
            response, "Cells divide by <mark>mitosis</mark>. &lt;script&gt;alert(1)&lt;/script&gt; &amp;"
        )
        self.assertNotContains(response, "<script>")

    def test_matched_words_are_marked_in_the_question_too(self):
        self.assertContains(self.client.get(URL, {"q": "dividing"}), "How do &lt;cells&gt; <mark>divide</mark>?")

    def test_subject_select_lists_listed_subjects_and_keeps_the_choice(self):
        response = self.client.get(URL, {"q": "cells", "subject": "biology"})
        self.assertContains(response, '<option value="biology" selected>Biology</option>', html=True)
        self.assertNotContains(response, "Secret Stuff")

    def test_an_unknown_subject_filters_nothing(self):
        response = self.client.get(URL, {"q": "mitosis", "subject": "no-such-subject"})
        self.assertContains(response, "1 result")


class PaginationAndFilterTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        biology, physics = factory.make_subject("biology"), factory.make_subject("physics")
        for i in range(23):
            factory.make_question(question=f"Osmosis question number {i}?", subject=biology)
        factory.make_question(question="Osmosis in physics?", subject=physics)
        factory.make_question(question="Draft osmosis question?", subject=biology, status=Question.Status.DRAFT)

    def test_twenty_per_page_and_links_keep_the_query(self):
        response = self.client.get(URL, {"q": "osmosis", "subject": "biology"})
        assert len(response.context["hits"]) == 20
        self.assertContains(response, "23 results, page 1 of 2")
        self.assertContains(response, 'href="?q=osmosis&amp;subject=biology&amp;page=2"')
        second = self.client.get(URL, {"q": "osmosis", "subject": "biology", "page": 2})
        assert len(second.context["hits"]) == 3
        self.assertContains(second, '<ol class="search-results" start="21">')

    def test_subject_filter_narrows_and_drafts_stay_hidden(self):
        assert self.client.get(URL, {"q": "osmosis"}).context["page_obj"].paginator.count == 24
        response = self.client.get(URL, {"q": "osmosis", "subject": "physics"})
        assert [h["question"].question for h in response.context["hits"]] == ["Osmosis in physics?"]

    def test_very_many_results_say_so(self):
        with mock.patch("qa.search.results.MAX_RESULTS", 20):
            response = self.client.get(URL, {"q": "osmosis"})
        self.assertContains(response, "More than 20 results; the best 20 are shown")

    def test_a_page_out_of_range_is_not_found(self):
        for page in ["3", "0", "-1", "abc", "1e9"]:
            with self.subTest(page=page):
                assert self.client.get(URL, {"q": "osmosis", "page": page}).status_code == 404

    def test_queries_do_not_grow_with_the_results(self):
        with CaptureQueriesContext(connection) as queries:
            self.client.get(URL, {"q": "osmosis"})
        # 20 results on the page, and no query per result: subjects, count, the page (with its
        # subjects; on PostgreSQL also the size of the ranked part, and the part after it),
        # then the page's answers and SEO rows.
        assert len(queries) <= 7


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_page(client, query):
    factory.make_question(question="How do cells divide?", body="By mitosis.")
    response = client.get(URL, {"q": query, "subject": query, "page": "1"})
    assert response.status_code == 200
    assert b'name="q"' in response.content
