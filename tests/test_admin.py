"""The editors' admin: lists, add and change forms with their inlines, redirects, revisions, roles."""
from unittest import mock

from django.contrib.auth.models import Group
from django.contrib.redirects.models import Redirect
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Version

from qa.admin.history import IMPORTED_COMMENT
from qa.models import Question, RelatedArticle
from qa.serving import changes
from tests.factories import factory

LIST_URL = reverse("admin:qa_question_changelist")
ADD_URL = reverse("admin:qa_question_add")


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


class AdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = factory.make_superuser()
        cls.biology = factory.make_subject("biology", position=1)
        cls.chemistry = factory.make_subject("chemistry", position=2)

    def setUp(self):
        self.client.force_login(self.admin)

    def post_change(self, question, **overrides):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(change_url(question), factory.change_form_data(question, **overrides))


class QuestionListTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.mitosis = factory.make_question(cls.biology, "how-do-cells-divide", question="How do cells divide?")
        cls.draft = factory.make_question(
            cls.biology, "what-is-osmosis", question="What is osmosis?", status=Question.Status.DRAFT,
            keywords="water, membrane",
        )
        cls.bonds = factory.make_question(
            cls.chemistry, "what-is-a-covalent-bond", question="What is a covalent bond?", no_index=True
        )

    def test_lists_question_subject_status_date_and_last_change(self):
        response = self.client.get(LIST_URL)
        self.assertContains(response, "How do cells divide?")
        self.assertContains(response, '<span class="qa-status qa-status--draft">Draft</span>', html=True)
        self.assertContains(response, '<span class="qa-status qa-status--live">Live</span>', html=True)
        for column in ("column-question_text", "column-subject", "column-status_badge", "column-date", "column-updated_at"):
            self.assertContains(response, column)

    def test_filters_by_subject_status_and_no_index(self):
        cases = {
            f"?subject__id__exact={self.chemistry.pk}": ["What is a covalent bond?"],
            "?status__exact=draft": ["What is osmosis?"],
            "?no_index__exact=1": ["What is a covalent bond?"],
        }
        for query, expected in cases.items():
            with self.subTest(query):
                response = self.client.get(LIST_URL + query)
                shown = [q.question for q in response.context["cl"].result_list]
                self.assertEqual(shown, expected)

    def test_search_covers_question_title_and_seo_keywords(self):
        for term, expected in [("covalent", "What is a covalent bond?"), ("membrane", "What is osmosis?")]:
            with self.subTest(term):
                response = self.client.get(LIST_URL, {"q": term})
                self.assertEqual([q.question for q in response.context["cl"].result_list], [expected])

    def test_list_queries_do_not_grow_with_rows_and_skip_the_full_count(self):
        with CaptureQueriesContext(connection) as few:
            self.client.get(LIST_URL)
        for n in range(20):
            factory.make_question(self.chemistry, f"extra-{n}")
        with CaptureQueriesContext(connection) as many:
            self.client.get(LIST_URL)
        self.assertEqual(len(few), len(many))
        counts = [q["sql"] for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
        self.assertEqual(len(counts), 1, counts)  # the filtered count only; no full-table count

    def test_the_next_page_of_a_list_reuses_its_count(self):
        for n in range(60):
            factory.make_question(self.chemistry, f"page-{n}")
        self.client.get(LIST_URL)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(LIST_URL, {"p": 2})
        self.assertEqual(response.context["cl"].result_count, 63)
        self.assertFalse([q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()])


class QuestionAddTests(AdminTestCase):
    def add_data(self, **overrides):
        data = {
            "question": "Why is the sky blue?",
            "subject": self.biology.pk,
            "slug": "why-is-the-sky-blue",
            "status": "draft",
            "publish_at_0": "",
            "publish_at_1": "",
            "title": "",
            "article_title": "",
            "date": "2025-03-01",
            "author": "QuickTakes",
            "date_format": "MMM DD, YYYY",
            "post_on_text": "Posted on",
            "score": "",
            "source_id": "",
            "extra": "{}",
            "initial-extra": "{}",
            "answer-TOTAL_FORMS": 1, "answer-INITIAL_FORMS": 0, "answer-MIN_NUM_FORMS": 1, "answer-MAX_NUM_FORMS": 1,
            "answer-0-body": "Rayleigh **scattering**.",
            "seo-TOTAL_FORMS": 1, "seo-INITIAL_FORMS": 0, "seo-MIN_NUM_FORMS": 0, "seo-MAX_NUM_FORMS": 1,
            "seo-0-title": "Why the sky is blue",
            "seo-0-page_description": "Sunlight scatters off air molecules, and blue light scatters the most.",
            "seo-0-page_keywords": "sky, light",
            "related_links-TOTAL_FORMS": 0, "related_links-INITIAL_FORMS": 0,
            "related_links-MIN_NUM_FORMS": 0, "related_links-MAX_NUM_FORMS": 5,
        }
        data.update(overrides)
        return data

    def test_add_form_has_the_answer_editor_with_the_page_stylesheets_and_seo_counters(self):
        response = self.client.get(ADD_URL)
        self.assertContains(response, 'class="markdownx qa-editor"')
        self.assertContains(response, 'data-markdownx-urls-path="/markdownx/markdownify/"')
        self.assertContains(response, 'data-markdownx-upload-urls-path="/markdownx/upload/"')
        # The preview frame's document loads the reader pages' CSS (escaped inside srcdoc).
        self.assertContains(response, "/static/css/site.css")
        self.assertContains(response, "/static/css/math.css")
        self.assertContains(response, 'data-qa-count-max="60"')
        self.assertContains(response, 'data-qa-count-min="50"')
        self.assertContains(response, "qa/admin/seo.js")
        self.assertContains(response, "admin/js/autocomplete.js")

    def test_adding_saves_question_answer_seo_and_related_picked_by_autocomplete(self):
        target = factory.make_question(self.chemistry, "what-is-a-mole", question="What is a mole?")
        data = factory.add_related_rows(self.add_data(), None, [{"target": target.pk}])
        response = self.client.post(ADD_URL, data)
        self.assertEqual(response.status_code, 302, response.context and response.context["adminform"].errors)
        question = Question.objects.get(slug="why-is-the-sky-blue")
        self.assertEqual(question.title, "Why is the sky blue?")  # empty title falls back to the question
        self.assertEqual(question.answer.html.strip(), "<p>Rayleigh <strong>scattering</strong>.</p>")
        self.assertEqual(question.seo.title, "Why the sky is blue")
        link = question.related_links.get()
        self.assertEqual(
            (link.position, link.target_url, link.target_title, link.target_subject, link.target_source_id),
            (1, "/learn/chemistry/questions/what-is-a-mole", "What is a mole?", "Chemistry", target.source_id),
        )

    def test_an_answer_is_required(self):
        response = self.client.post(ADD_URL, self.add_data(**{"answer-0-body": ""}))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Question.objects.filter(slug="why-is-the-sky-blue").exists())

    def test_autocomplete_finds_articles_by_question_and_labels_them_with_subject(self):
        factory.make_question(self.biology, "what-is-osmosis", question="What is osmosis?", status=Question.Status.DRAFT)
        factory.make_question(self.chemistry, "what-is-osmosis", question="What is osmosis?")
        response = self.client.get(
            reverse("admin:autocomplete"),
            {"term": "osmosis", "app_label": "qa", "model_name": "relatedarticle", "field_name": "question"},
        )
        labels = sorted(result["text"] for result in response.json()["results"])
        self.assertEqual(labels, ["What is osmosis? — Biology (draft)", "What is osmosis? — Chemistry"])


class QuestionChangeTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.question = factory.make_question(
            cls.biology, "how-do-cells-divide", question="How do cells divide?", body="By **mitosis**."
        )

    def test_change_form_offers_view_on_site_and_history(self):
        response = self.client.get(change_url(self.question))
        self.assertContains(response, 'class="viewsitelink"')
        self.assertContains(response, "/learn/biology/questions/how-do-cells-divide")
        self.assertContains(response, reverse("admin:qa_question_history", args=[self.question.pk]))

    def test_saving_rerenders_the_answer_and_readers_see_it_at_once(self):
        with mock.patch("qa.serving.changes.record", wraps=changes.record) as record:
            response = self.post_change(self.question, **{"answer-0-body": "By *meiosis* too."})
        self.assertEqual(response.status_code, 302)
        recorded = set().union(*(set(call.args[0]) for call in record.call_args_list))
        self.assertIn(f"path:{self.question.get_absolute_url()}", recorded)  # its cached page is stale
        self.question.answer.refresh_from_db()
        self.assertIn("<em>meiosis</em>", self.question.answer.html)
        page = self.client.get(self.question.get_absolute_url())
        self.assertContains(page, "<em>meiosis</em>")

    def test_saving_a_non_answer_marks_it_no_index_and_says_so(self):
        refusal = "I cannot answer this question based on the available information."
        response = self.client.post(
            change_url(self.question), factory.change_form_data(self.question, **{"answer-0-body": refusal}), follow=True
        )
        self.assertContains(response, "is now marked “no index”")
        self.question.refresh_from_db()
        self.assertTrue(self.question.no_index)
        page = self.client.get(self.question.get_absolute_url())
        self.assertContains(page, '<meta name="robots" content="noindex, follow">')

    def test_an_answer_that_answers_is_not_marked(self):
        response = self.client.post(change_url(self.question), factory.change_form_data(self.question), follow=True)
        self.assertNotContains(response, "no index”: search engines")
        self.question.refresh_from_db()
        self.assertFalse(self.question.no_index)

    def test_invalid_slug_gets_a_clear_error(self):
        response = self.post_change(self.question, slug="Cells Divide!")
        self.assertContains(response, "Use lowercase letters, digits and hyphens only")

    def test_slug_taken_in_the_same_subject_gets_a_clear_error(self):
        factory.make_question(self.biology, "what-is-osmosis")
        response = self.post_change(self.question, slug="what-is-osmosis")
        self.assertContains(response, "Biology already has an article at this address; choose another slug.")

    def test_same_slug_in_another_subject_is_fine(self):
        factory.make_question(self.chemistry, "what-is-osmosis")
        response = self.post_change(self.question, slug="what-is-osmosis")
        self.assertEqual(response.status_code, 302)

    def test_publication_time_needs_published_status(self):
        response = self.post_change(
            self.question, status="draft", publish_at_0="2030-01-01", publish_at_1="09:00:00"
        )
        self.assertContains(response, "A publication time only takes effect when the status is Published")

    def test_scheduling_hides_the_article_until_its_time(self):
        response = self.post_change(self.question, publish_at_0="2099-01-01", publish_at_1="09:00:00")
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        self.assertEqual(self.client.get(self.question.get_absolute_url()).status_code, 404)

    def test_reordering_related_articles_keeps_them_unique_and_numbered(self):
        first = RelatedArticle.objects.create(question=self.question, position=1, target_url="/learn/a/questions/one")
        second = RelatedArticle.objects.create(question=self.question, position=2, target_url="/learn/a/questions/two")
        data = factory.change_form_data(self.question)
        data.update({"related_links-0-position": 2, "related_links-1-position": 1})
        self.assertEqual((data["related_links-0-id"], data["related_links-1-id"]), (first.pk, second.pk))
        response = self.client.post(change_url(self.question), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            list(self.question.related_links.values_list("position", "target_url")),
            [(1, "/learn/a/questions/two"), (2, "/learn/a/questions/one")],
        )

    def test_new_related_rows_without_position_go_last(self):
        RelatedArticle.objects.create(question=self.question, position=1, target_url="/learn/a/questions/one")
        data = factory.add_related_rows(factory.change_form_data(self.question), self.question.pk, [{"target_url": "/learn/a/questions/new"}])
        self.assertEqual(self.client.post(change_url(self.question), data).status_code, 302)
        self.assertEqual(
            list(self.question.related_links.values_list("position", "target_url")),
            [(1, "/learn/a/questions/one"), (2, "/learn/a/questions/new")],
        )

    def test_related_articles_refuse_self_duplicates_and_a_sixth(self):
        own = {"target": self.question.pk}
        other = {"target_url": "/learn/a/questions/one"}
        cases = {
            "itself": ([own], "An article cannot be related to itself."),
            "twice": ([other, other], "This article is already in the list."),
            "six": ([{"target_url": f"/learn/a/questions/{n}"} for n in range(6)], "Please submit at most 5 forms."),
            "empty target": ([{"target_title": "Just a title"}], "Pick an article, or enter its address."),
        }
        for name, (rows, error) in cases.items():
            with self.subTest(name):
                data = factory.add_related_rows(factory.change_form_data(self.question), self.question.pk, rows)
                response = self.client.post(change_url(self.question), data)
                self.assertContains(response, error)
                self.assertFalse(self.question.related_links.exists())


class RedirectOnMoveTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.question = factory.make_question(cls.biology, "how-do-cells-divide", body="Cells divide by **mitosis**.")
        cls.old_path = "/learn/biology/questions/how-do-cells-divide"

    def test_slug_change_of_a_published_article_redirects_the_old_url_without_chains(self):
        Redirect.objects.create(site_id=1, old_path="/legacy/cells", new_path=self.old_path)
        response = self.post_change(self.question, slug="how-cells-divide")
        self.assertEqual(response.status_code, 302)
        new_path = "/learn/biology/questions/how-cells-divide"
        self.assertRedirects(self.client.get(self.old_path), new_path, status_code=301)
        # The redirect that led to the old address now leads straight to the new one.
        self.assertRedirects(self.client.get("/legacy/cells"), new_path, status_code=301)
        self.assertEqual(Redirect.objects.filter(new_path=self.old_path).count(), 0)

    def test_subject_change_of_a_published_article_redirects(self):
        self.post_change(self.question, subject=self.chemistry.pk)
        self.assertRedirects(
            self.client.get(self.old_path), "/learn/chemistry/questions/how-do-cells-divide", status_code=301
        )

    def test_moving_back_drops_the_redirect_from_the_address_that_is_live_again(self):
        self.post_change(self.question, slug="how-cells-divide")
        self.question.refresh_from_db()
        self.post_change(self.question, slug="how-do-cells-divide")
        self.assertEqual(self.client.get(self.old_path).status_code, 200)
        self.assertEqual(
            list(Redirect.objects.values_list("old_path", "new_path")),
            [("/learn/biology/questions/how-cells-divide", self.old_path)],
        )

    def test_drafts_get_no_redirect(self):
        Question.objects.filter(pk=self.question.pk).update(status=Question.Status.DRAFT)
        self.question.refresh_from_db()
        self.post_change(self.question, slug="how-cells-divide")
        self.assertFalse(Redirect.objects.exists())


class RevisionTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Made with the ORM, like an import: no version yet.
        cls.question = factory.make_question(cls.biology, "how-do-cells-divide", body="Cells divide by mitosis.")

    def test_first_save_records_the_imported_state_then_the_editors_version(self):
        self.post_change(self.question, **{"answer-0-body": "Cells divide by mitosis and meiosis."})
        versions = Version.objects.get_for_object(self.question).select_related("revision").order_by("pk")
        self.assertEqual(
            [v.revision.get_comment() for v in versions],
            [IMPORTED_COMMENT, f"Changed Answer for answer “Answer to {self.question.pk}”."],
        )
        self.assertIsNone(versions[0].revision.user)
        self.assertEqual(versions[1].revision.user, self.admin)
        answers = [v for v in Version.objects.filter(object_id=str(self.question.pk), content_type__model="answer")]
        self.assertEqual(
            sorted(v.field_dict["body"] for v in answers),
            ["Cells divide by mitosis and meiosis.", "Cells divide by mitosis."],
        )

    def test_history_shows_who_changed_what_as_a_readable_diff(self):
        long_answer = "Cells divide in two ways.\n\n- **Mitosis** makes two identical cells.\n- Meiosis makes gametes."
        self.post_change(self.question, **{"answer-0-body": long_answer})
        self.question.refresh_from_db()
        self.post_change(self.question, **{"answer-0-body": long_answer.replace("identical", "matching")})
        self.question.refresh_from_db()
        self.post_change(self.question, slug="how-cells-divide")
        response = self.client.get(reverse("admin:qa_question_history", args=[self.question.pk]))
        # Long text: a line diff, changed words marked inside the line.
        self.assertContains(
            response,
            '<div class="qa-diff__line qa-diff__line--changed">- **Mitosis** makes two <del>identical</del>'
            "<ins>matching</ins> cells.</div>",
            html=True,
        )
        # Short values: old → new.
        self.assertContains(response, "<del>how-do-cells-divide</del>", html=True)
        self.assertContains(response, "<ins>how-cells-divide</ins>", html=True)
        self.assertContains(response, "The article as the import left it")
        self.assertContains(response, "Review and revert to this version")

    def test_revert_restores_the_answer_and_redirects_a_moved_live_url(self):
        self.post_change(self.question, slug="how-cells-divide", **{"answer-0-body": "Rewritten."})
        imported = Version.objects.get_for_object(self.question).order_by("pk").first()
        revert_url = reverse("admin:qa_question_revision", args=[self.question.pk, imported.pk])
        form = self.client.get(revert_url)
        self.assertContains(form, "Cells divide by mitosis.")
        self.question.refresh_from_db()
        self.assertEqual(self.question.slug, "how-cells-divide")  # looking changes nothing
        data = factory.change_form_data(self.question, slug="how-do-cells-divide", **{"answer-0-body": "Cells divide by mitosis."})
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(revert_url, data)
        self.assertEqual(response.status_code, 302)
        self.question.refresh_from_db()
        self.assertEqual(self.question.slug, "how-do-cells-divide")
        self.assertEqual(self.question.answer.html.strip(), "<p>Cells divide by mitosis.</p>")
        self.assertRedirects(
            self.client.get("/learn/biology/questions/how-cells-divide"),
            "/learn/biology/questions/how-do-cells-divide",
            status_code=301,
        )
        latest = Version.objects.get_for_object(self.question).select_related("revision").first()
        self.assertIn("Reverted to previous version", latest.revision.get_comment())


    def test_reverting_an_import_revision_puts_back_only_this_article(self):
        import reversion

        other = factory.make_question(self.biology, "what-is-osmosis", body="Water moves.")
        # Like import_seeds: one revision for a batch of updated articles.
        with reversion.create_revision():
            reversion.set_comment("Updated by import_seeds")
            reversion.add_to_revision(self.question)
            reversion.add_to_revision(other)
        for question, body in [(self.question, "Edited."), (other, "Edited too.")]:
            question.answer.body = body
            question.answer.save()
        version = Version.objects.get_for_object(self.question).get()
        revert_url = reverse("admin:qa_question_revision", args=[self.question.pk, version.pk])
        data = factory.change_form_data(self.question, **{"answer-0-body": "Cells divide by mitosis."})
        self.assertEqual(self.client.post(revert_url, data).status_code, 302)
        self.question.answer.refresh_from_db()
        other.answer.refresh_from_db()
        self.assertEqual(self.question.answer.body, "Cells divide by mitosis.")
        self.assertEqual(other.answer.body, "Edited too.")


class SubjectAdminTests(AdminTestCase):
    def test_list_shows_article_counts(self):
        factory.make_question(self.biology, "one")
        factory.make_question(self.biology, "two")
        response = self.client.get(reverse("admin:qa_subject_changelist"))
        counts = {s.slug: s.article_count for s in response.context["cl"].result_list}
        self.assertEqual(counts, {"biology": 2, "chemistry": 0})

    def test_renaming_the_slug_redirects_the_subject_page_and_its_live_articles(self):
        factory.make_question(self.biology, "one")
        factory.make_question(self.biology, "draft-one", status=Question.Status.DRAFT)
        data = {"title": "Life Sciences", "slug": "life-sciences", "is_listed": "on", "position": 1}
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("admin:qa_subject_change", args=[self.biology.pk]), data)
        self.assertEqual(response.status_code, 302)
        self.assertRedirects(
            self.client.get("/learn/biology/questions/one"), "/learn/life-sciences/questions/one", status_code=301
        )
        self.assertRedirects(self.client.get("/learn/biology/"), "/learn/life-sciences/", status_code=301)
        self.assertFalse(Redirect.objects.filter(old_path="/learn/biology/questions/draft-one").exists())


class RolesAndLookTests(TestCase):
    def test_editors_edit_and_publish_content_but_not_users_or_sites(self):
        codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
        for expected in ("change_question", "publish_question", "add_question", "change_subject", "change_redirect"):
            self.assertIn(expected, codenames)
        for forbidden in ("change_user", "add_user", "change_group", "change_site", "delete_question"):
            self.assertNotIn(forbidden, codenames)

    def test_an_editor_works_on_questions_but_is_refused_the_users(self):
        question = factory.make_question(factory.make_subject("biology"))
        self.client.force_login(factory.make_editor())
        self.assertEqual(self.client.get(change_url(question)).status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:auth_user_changelist")).status_code, 403)

    def test_staff_without_publish_permission_cannot_change_the_status(self):
        user = factory.make_staff()
        user.user_permissions.add(*Group.objects.get(name="Editors").permissions.exclude(codename="publish_question"))
        question = factory.make_question(
            factory.make_subject("biology"), status=Question.Status.DRAFT, body="Cells divide by **mitosis**."
        )
        self.client.force_login(user)
        response = self.client.get(change_url(question))
        self.assertNotContains(response, 'name="status"')
        self.client.post(change_url(question), factory.change_form_data(question, status="published"))
        question.refresh_from_db()
        self.assertEqual(question.status, Question.Status.DRAFT)

    def test_the_admin_is_quicktakes_cms(self):
        self.client.force_login(factory.make_superuser())
        response = self.client.get(reverse("admin:index"))
        self.assertContains(response, "QuickTakes CMS")
        self.assertContains(response, "Editorial desk")
        self.assertContains(response, "qa/admin/theme.css")


class HelperTests(TestCase):
    def test_a_stored_link_finds_its_article_even_after_a_subject_move(self):
        from qa.admin.forms import article_at

        moved = factory.make_question(factory.make_subject("computer-science"), "what-is-big-o-notation")
        self.assertEqual(article_at("/learn/computer-science/questions/what-is-big-o-notation"), moved)
        self.assertEqual(article_at("/learn/mathematics/questions/what-is-big-o-notation"), moved)
        self.assertIsNone(article_at("/learn/mathematics/questions/nothing-here"))
        self.assertIsNone(article_at("https://example.com/"))

    def test_line_diff_marks_words_in_edited_lines_and_keeps_new_text_whole(self):
        from qa.admin.history import line_diff

        edited = line_diff("one\ntwo three four\nfive", "one\ntwo 3 four\nfive")
        self.assertEqual(
            [(line.kind, line.parts) for line in edited],
            [
                ("same", [("same", "one")]),
                ("changed", [("same", "two "), ("del", "three"), ("ins", "3"), ("same", " four")]),
                ("same", [("same", "five")]),
            ],
        )
        rewritten = line_diff("an old sentence", "Completely different words here")
        self.assertEqual([line.kind for line in rewritten], ["removed", "added"])
        long = line_diff("\n".join(map(str, range(10))), "\n".join(map(str, range(9))) + "\nnine")
        self.assertEqual([line.kind for line in long], ["gap", "same", "removed", "added"])
