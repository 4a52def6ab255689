"""Who else has an article open (issue 12): the notice on page load, and the ping endpoint."""
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from qa.admin import edit_guard, presence
from qa.models import EditingSession
from tests.factories import factory


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def ping_url(question):
    return reverse("admin:qa_question_editing", args=[question.pk])


class PresenceTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.biology = factory.make_subject("biology")
        cls.ana = factory.make_editor("ana", first_name="Ana")
        cls.ben = factory.make_editor("ben", first_name="Ben")
        cls.question = factory.make_question(cls.biology, "how-do-cells-divide", body="Cells divide.")

    def browser(self, user, **kwargs):
        client = Client(**kwargs)
        client.force_login(user)
        return client


class NoticeOnPageLoadTests(PresenceTestCase):
    def test_the_second_editor_sees_the_first_is_editing_without_javascript(self):
        self.browser(self.ana).get(change_url(self.question))
        page = self.browser(self.ben).get(change_url(self.question))
        since = timezone.localtime(EditingSession.objects.get(user=self.ana).started_at).strftime("%H:%M")
        self.assertContains(
            page, f'<li class="warning qa-editing qa-editing--editing">Ana is also editing this article (since {since}).</li>',
            html=True,
        )
        self.assertContains(page, f'data-ping-url="{ping_url(self.question)}"')
        self.assertContains(page, "qa/admin/editing.js")

    def test_an_editor_alone_sees_no_notice_and_a_recent_save_by_another_is_mentioned(self):
        page = self.browser(self.ana).get(change_url(self.question))
        self.assertContains(page, 'id="qa-editing"')
        self.assertNotContains(page, "qa-editing--")
        bens = self.browser(self.ben)
        bens.get(change_url(self.question))
        self.assertTrue(EditingSession.objects.filter(user=self.ben).exists())
        data = factory.change_form_data(self.question, **{"answer-0-body": "Cells split in two."})
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(bens.post(change_url(self.question), data).status_code, 302)
        self.assertFalse(EditingSession.objects.filter(user=self.ben).exists())  # he saved and left
        page = self.browser(self.ana).get(change_url(self.question))
        self.assertContains(page, "Ben saved this article moments ago.")
        self.assertNotContains(page, "Ben is also editing")

    def test_a_stale_session_is_not_shown_and_is_deleted(self):
        self.browser(self.ana).get(change_url(self.question))
        EditingSession.objects.update(last_seen_at=timezone.now() - presence.STALE_AFTER - timedelta(seconds=1))
        page = self.browser(self.ben).get(change_url(self.question))
        self.assertNotContains(page, "Ana is also editing")
        self.assertEqual(list(EditingSession.objects.values_list("user__username", flat=True)), ["ben"])


class PingTests(PresenceTestCase):
    def ping(self, client, token=None):
        token = edit_guard.current_token(self.question.pk) if token is None else token
        return client.post(ping_url(self.question), {"edit_token": token})

    def test_a_ping_records_the_editor_and_answers_who_else_is_there(self):
        anas, bens = self.browser(self.ana), self.browser(self.ben)
        self.assertEqual(self.ping(anas).json()["notices"], [])
        answer = self.ping(bens).json()
        self.assertEqual([n["kind"] for n in answer["notices"]], ["editing"])
        self.assertIn("Ana is also editing this article", answer["notices"][0]["text"])
        self.assertFalse(answer["saved_since_loaded"])
        self.assertEqual(answer["ping_seconds"], presence.PING_SECONDS)
        self.assertEqual(EditingSession.objects.count(), 2)

    def test_a_ping_with_an_old_token_says_who_saved_and_to_reload(self):
        bens = self.browser(self.ben)
        token = edit_guard.current_token(self.question.pk)
        data = factory.change_form_data(self.question, **{"answer-0-body": "Cells split in two."})
        with self.captureOnCommitCallbacks(execute=True):
            self.browser(self.ana).post(change_url(self.question), data)
        answer = self.ping(bens, token).json()
        self.assertTrue(answer["saved_since_loaded"])
        self.assertEqual(
            answer["notices"], [{"kind": "saved", "text": "Ana saved this article moments ago — reload to see the changes."}]
        )

    def test_pings_delete_stale_sessions_of_any_article(self):
        other = factory.make_question(self.biology, "what-is-osmosis")
        EditingSession.objects.create(
            question=other, user=self.ana, session_key="old", last_seen_at=timezone.now() - timedelta(hours=3)
        )
        self.ping(self.browser(self.ben))
        self.assertEqual(list(EditingSession.objects.values_list("user__username", flat=True)), ["ben"])

    def test_the_same_browser_keeps_one_row(self):
        anas = self.browser(self.ana)
        for _ in range(3):
            self.ping(anas)
        self.assertEqual(EditingSession.objects.count(), 1)

    def test_only_editors_who_may_change_the_article_may_ping(self):
        self.assertEqual(self.ping(Client()).status_code, 403)  # anonymous: no redirect to the login page
        self.assertEqual(self.ping(self.browser(factory.make_staff("visitor"))).status_code, 403)
        viewer = factory.make_staff("viewer")
        viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
        self.assertEqual(self.ping(self.browser(viewer)).status_code, 403)
        self.assertFalse(EditingSession.objects.exists())
        anas = self.browser(self.ana)
        self.assertEqual(anas.get(ping_url(self.question)).status_code, 405)
        missing = reverse("admin:qa_question_editing", args=[self.question.pk + 1000])
        self.assertEqual(anas.post(missing, {"edit_token": ""}).status_code, 404)

    def test_a_ping_needs_the_csrf_token(self):
        anas = self.browser(self.ana, enforce_csrf_checks=True)
        self.assertEqual(self.ping(anas).status_code, 403)
        page = anas.get(change_url(self.question))
        token = page.cookies["csrftoken"].value
        response = anas.post(ping_url(self.question), {"edit_token": ""}, headers={"X-CSRFToken": token})
        self.assertEqual(response.status_code, 200)
