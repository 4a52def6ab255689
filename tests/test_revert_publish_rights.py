"""The attack of the security review (issue 13): an editor without ``qa.publish_question``
publishing or unpublishing through the history's "Review and revert" and through recovery.

Each test drives the real admin views, as that editor would, and checks what readers see."""
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse
from reversion.models import Version

from qa.admin import edit_guard
from qa.models import Question
from tests.factories import factory

URL = "/learn/biology/questions/how-do-cells-divide"


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def revision_url(question, version):
    return reverse("admin:qa_question_revision", args=[question.pk, version.pk])


class RevertWithoutPublishRightsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = factory.make_superuser()
        cls.biology = factory.make_subject("biology")
        # Everything an editor may do, except publishing.
        cls.editor = factory.make_staff("writer")
        editors = Group.objects.get(name="Editors").permissions.exclude(codename="publish_question")
        cls.editor.user_permissions.set(editors)
        assert not cls.editor.has_perm("qa.publish_question") and cls.editor.has_perm("qa.change_question")

    def post(self, url, question, **overrides):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(url, factory.change_form_data(question, **overrides))

    def reader_status(self):
        """What an anonymous reader gets at the article's address."""
        self.client.logout()
        return self.client.get(URL).status_code

    def as_admin_change(self, question, **overrides):
        self.client.force_login(self.admin)
        response = self.post(change_url(question), question, **overrides)
        self.assertEqual(response.status_code, 302)
        question.refresh_from_db()

    def first_version(self, question):
        return Version.objects.get_for_object(question).order_by("pk").first()

    def test_reverting_the_imported_version_does_not_republish_an_unpublished_article(self):
        question = factory.make_question(self.biology, "how-do-cells-divide", body="Cells divide.")
        self.as_admin_change(question, status=Question.Status.UNPUBLISHED)
        self.assertEqual(self.reader_status(), 404)

        self.client.force_login(self.editor)
        url = revision_url(question, self.first_version(question))
        page = self.client.get(url)
        self.assertContains(page, "Status kept:")
        self.assertContains(page, "This version was published; you may not publish, so the article stays unpublished")
        response = self.post(url, question, **{"answer-0-body": "Cells divide by mitosis."})
        self.assertEqual(response.status_code, 302)

        question.refresh_from_db()
        self.assertEqual(question.status, Question.Status.UNPUBLISHED)
        self.assertEqual(question.answer.body, "Cells divide by mitosis.")  # the rest is reverted
        self.assertEqual(self.reader_status(), 404)

    def test_reverting_to_a_draft_version_does_not_take_a_live_article_down(self):
        question = factory.make_question(self.biology, "how-do-cells-divide", body="Cells divide.", status=Question.Status.DRAFT)
        self.as_admin_change(question, status=Question.Status.PUBLISHED)
        self.assertEqual(self.reader_status(), 200)

        self.client.force_login(self.editor)
        response = self.post(revision_url(question, self.first_version(question)), question)
        self.assertEqual(response.status_code, 302)
        question.refresh_from_db()
        self.assertEqual(question.status, Question.Status.PUBLISHED)
        self.assertEqual(self.reader_status(), 200)

    def test_reverting_does_not_change_the_schedule(self):
        question = factory.make_question(self.biology, "how-do-cells-divide", body="Cells divide.")
        self.as_admin_change(question, publish_at_0="2099-01-01", publish_at_1="09:00:00")
        self.client.force_login(self.editor)
        self.post(revision_url(question, self.first_version(question)), question)
        question.refresh_from_db()
        self.assertEqual(question.publish_at.year, 2099)
        self.assertEqual(self.reader_status(), 404)  # still scheduled, not live now

    def test_recovering_a_deleted_live_article_brings_it_back_as_a_draft(self):
        question = factory.make_question(self.biology, "how-do-cells-divide", body="Cells divide.")
        self.as_admin_change(question, **{"answer-0-body": "Cells divide by mitosis."})
        form_data = factory.change_form_data(question)  # the recover form shows the version as it was
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("admin:qa_question_delete", args=[question.pk]), {"post": "yes"})
        self.assertFalse(Question.objects.exists())
        # The recover page's edit token is that of an article that is not there (qa/admin/edit_guard.py).
        form_data["edit_token"] = edit_guard.current_token(question.pk)

        self.client.force_login(self.editor)
        deleted = Version.objects.get_deleted(Question).get()
        url = reverse("admin:qa_question_recover", args=[deleted.pk])
        self.assertContains(self.client.get(url), "so the article comes back as a draft")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, form_data)
        self.assertEqual(response.status_code, 302)
        recovered = Question.objects.get()
        self.assertEqual((recovered.status, recovered.publish_at), (Question.Status.DRAFT, None))
        self.assertEqual(self.reader_status(), 404)

    def test_a_publisher_still_reverts_the_status(self):
        question = factory.make_question(self.biology, "how-do-cells-divide", body="Cells divide.")
        self.as_admin_change(question, status=Question.Status.UNPUBLISHED)
        page = self.client.get(revision_url(question, self.first_version(question)))
        self.assertNotContains(page, "Status kept:")
        self.post(revision_url(question, self.first_version(question)), question, status=Question.Status.PUBLISHED)
        question.refresh_from_db()
        self.assertEqual(question.status, Question.Status.PUBLISHED)
        self.assertEqual(self.reader_status(), 200)
