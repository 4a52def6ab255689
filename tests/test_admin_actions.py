"""Bulk actions on the question list: each changes what it says, reports how many, and invalidates."""
import datetime
from unittest import mock

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.redirects.models import Redirect
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from qa.models import Question
from qa.serving import changes
from tests.factories import factory

LIST_URL = reverse("admin:qa_question_changelist")


class ActionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = factory.make_superuser()
        cls.biology = factory.make_subject("biology")
        cls.chemistry = factory.make_subject("chemistry")
        cls.live = factory.make_question(cls.biology, "live-one")
        cls.draft = factory.make_question(cls.biology, "draft-one", status=Question.Status.DRAFT)
        cls.scheduled = factory.make_question(
            cls.biology, "scheduled-one", publish_at=timezone.now() + datetime.timedelta(days=3)
        )

    def setUp(self):
        self.client.force_login(self.admin)

    def act(self, action, questions, **extra):
        data = {"action": action, ACTION_CHECKBOX_NAME: [q.pk for q in questions], "index": 0, **extra}
        with mock.patch("qa.serving.changes.record", wraps=changes.record) as self.record, self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(LIST_URL, data, follow=True)
        self.assertEqual(response.status_code, 200)
        return response

    def recorded(self) -> set[str]:
        """The names of the changes the action recorded (qa.serving.changes)."""
        return set().union(*(set(call.args[0]) for call in self.record.call_args_list))

    def messages(self, response):
        return [str(m) for m in response.context["messages"]]

    def status(self, question):
        question.refresh_from_db()
        return question.status


class PublishingActionTests(ActionTestCase):
    def test_publish_makes_drafts_and_scheduled_articles_live_now(self):
        response = self.act("publish", [self.live, self.draft, self.scheduled])
        self.assertEqual(self.messages(response), ["2 articles published. 1 article already was."])
        self.assertEqual(Question.objects.published().count(), 3)
        self.scheduled.refresh_from_db()
        self.assertIsNone(self.scheduled.publish_at)
        self.assertEqual(self.client.get(self.draft.get_absolute_url()).status_code, 200)
        self.assertIn(f"path:{self.draft.get_absolute_url()}", self.recorded())
        self.assertNotIn(f"path:{self.live.get_absolute_url()}", self.recorded())  # it was live already

    def test_unpublish_takes_live_and_scheduled_articles_down_and_leaves_drafts(self):
        response = self.act("unpublish", [self.live, self.draft, self.scheduled])
        self.assertEqual(self.messages(response), ["2 articles unpublished. 1 article was not published."])
        self.assertEqual(
            [self.status(q) for q in (self.live, self.draft, self.scheduled)], ["unpublished", "draft", "unpublished"]
        )
        self.client.logout()
        self.assertEqual(self.client.get(self.live.get_absolute_url()).status_code, 404)

    def test_bulk_changes_are_logged_in_each_articles_history(self):
        self.act("publish", [self.draft])
        entry = LogEntry.objects.get(object_id=str(self.draft.pk))
        self.assertEqual((entry.user, entry.change_message), (self.admin, "Bulk action: published"))
        history = self.client.get(reverse("admin:qa_question_history", args=[self.draft.pk]))
        self.assertContains(history, "Bulk action: published")

    def test_nothing_to_change_reports_zero_and_does_not_invalidate(self):
        response = self.act("publish", [self.live])
        self.assertEqual(self.messages(response), ["0 articles published. 1 article already was."])
        self.record.assert_not_called()

    def test_counts_are_right_when_the_action_empties_a_filtered_list(self):
        data = {"action": "publish", ACTION_CHECKBOX_NAME: [self.draft.pk], "index": 0, "select_across": 1}
        response = self.client.post(LIST_URL + "?status__exact=draft", data, follow=True)
        self.assertEqual(self.messages(response), ["1 article published."])

    def test_select_across_acts_on_the_whole_filtered_list(self):
        factory.make_question(self.chemistry, "chem-draft", status=Question.Status.DRAFT)
        data = {"action": "publish", ACTION_CHECKBOX_NAME: [self.draft.pk], "index": 0, "select_across": 1}
        self.client.post(LIST_URL + f"?subject__id__exact={self.biology.pk}", data)
        self.assertEqual(Question.objects.filter(subject=self.biology, status="draft").count(), 0)
        self.assertEqual(Question.objects.filter(subject=self.chemistry, status="draft").count(), 1)

    def test_publishing_needs_the_publish_permission(self):
        user = factory.make_staff()
        user.user_permissions.add(*factory.make_editor("ed").groups.get().permissions.exclude(codename="publish_question"))
        self.client.force_login(user)
        response = self.client.get(LIST_URL)
        actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
        self.assertNotIn("publish", actions)
        self.assertNotIn("unpublish", actions)
        self.assertIn("set_no_index", actions)
        self.client.post(LIST_URL, {"action": "publish", ACTION_CHECKBOX_NAME: [self.draft.pk], "index": 0})
        self.assertEqual(self.status(self.draft), "draft")

    def test_editors_may_publish(self):
        self.client.force_login(factory.make_editor())
        self.act("publish", [self.draft])
        self.assertEqual(self.status(self.draft), "published")


class NoIndexActionTests(ActionTestCase):
    def test_set_and_clear_no_index_report_what_changed(self):
        Question.objects.filter(pk=self.live.pk).update(no_index=True)
        response = self.act("set_no_index", [self.live, self.draft])
        self.assertEqual(self.messages(response), ["1 article set to no_index. 1 article already was."])
        self.assertEqual(Question.objects.filter(no_index=True).count(), 2)
        response = self.act("clear_no_index", [self.live, self.draft, self.scheduled])
        self.assertEqual(self.messages(response), ["2 articles cleared of no_index. 1 article already was."])
        self.assertFalse(Question.objects.filter(no_index=True).exists())


class MoveToSubjectTests(ActionTestCase):
    def test_the_action_first_asks_for_the_subject(self):
        response = self.act("move_to_subject", [self.live, self.draft])
        self.assertTemplateUsed(response, "admin/qa/question/move_to_subject.html")
        self.assertContains(response, "Move 2 articles")
        self.assertContains(response, f'name="{ACTION_CHECKBOX_NAME}" value="{self.live.pk}"')
        self.assertEqual(self.live.subject, self.biology)

    def test_moving_redirects_live_articles_and_reports_conflicts(self):
        factory.make_question(self.chemistry, "scheduled-one")  # the target subject already uses this slug
        Redirect.objects.create(site_id=1, old_path="/old/live", new_path="/learn/biology/questions/live-one")
        response = self.act(
            "move_to_subject", [self.live, self.draft, self.scheduled], apply="1", subject=self.chemistry.pk
        )
        self.assertEqual(
            self.messages(response),
            [
                "2 articles moved to Chemistry; 1 live article redirects from its old address.",
                "1 article stayed where it was: Chemistry already has an article with the same slug (scheduled-one).",
            ],
        )
        for question, subject in [(self.live, self.chemistry), (self.draft, self.chemistry), (self.scheduled, self.biology)]:
            question.refresh_from_db()
            self.assertEqual(question.subject, subject)
        self.assertRedirects(
            self.client.get("/learn/biology/questions/live-one"), "/learn/chemistry/questions/live-one", status_code=301
        )
        # No chains: the older redirect now points straight at the new address.
        self.assertEqual(Redirect.objects.get(old_path="/old/live").new_path, "/learn/chemistry/questions/live-one")
        # The draft moved without a redirect: readers never had its address.
        self.assertFalse(Redirect.objects.filter(old_path="/learn/biology/questions/draft-one").exists())
        # The pages where they stood and where they went are stale.
        self.assertLessEqual(
            {"path:/learn/biology/questions/live-one", "path:/learn/chemistry/questions/live-one", "listing:biology"},
            self.recorded(),
        )

    def test_an_invalid_choice_shows_the_form_again(self):
        response = self.act("move_to_subject", [self.live], apply="1", subject="")
        self.assertTemplateUsed(response, "admin/qa/question/move_to_subject.html")
        self.assertContains(response, "This field is required.")
