"""Two editors, one article (issue 12): the second save of the same loaded version is refused,
with who saved, when and what changed, and nothing of either edit is lost.

Each test drives the admin's real change and revert forms with two logged-in clients."""
import re
import threading
from unittest import mock

from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, skipUnlessDBFeature
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Version

from qa.admin import edit_guard, editorial, history
from qa.models import Question
from tests.factories import factory

ORIGINAL = "Cells divide in two ways.\n\nMitosis makes two identical cells."
ANAS = ORIGINAL + "\nThen the cytoplasm splits."
BENS = ORIGINAL + "\nMeiosis makes gametes."


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def loaded_token(response) -> str:
    """The edit token the page's form carries, as the browser would send it back."""
    found = re.search(r'<input type="hidden" name="edit_token" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the form carries no edit token"
    return found.group(1)


class TwoEditorsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.biology = factory.make_subject("biology")
        cls.ana = factory.make_editor("ana", first_name="Ana")
        cls.ben = factory.make_editor("ben")

    def setUp(self):
        self.question = factory.make_question(self.biology, "how-do-cells-divide", body=ORIGINAL)
        self.anas_browser, self.bens_browser = Client(), Client()
        self.anas_browser.force_login(self.ana)
        self.bens_browser.force_login(self.ben)

    def post(self, client, url, token, body):
        data = factory.change_form_data(self.question, edit_token=token, **{"answer-0-body": body})
        with self.captureOnCommitCallbacks(execute=True):
            return client.post(url, data)

    def stored_answer(self):
        return Question.objects.get(pk=self.question.pk).answer.body

    def assert_refused_showing_anas_change(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Ana saved this article on")
        self.assertContains(response, "after you opened it")
        self.assertContains(response, "What changed since you opened this article")
        # Ana's change, as a diff: the answer line with her words marked as added.
        self.assertContains(response, "<ins>Then the cytoplasm splits.</ins>", html=True)
        # Ben's text is still in his form, to re-apply.
        self.assertContains(response, BENS)
        self.assertEqual(self.stored_answer(), ANAS)


class ConcurrentChangeTests(TwoEditorsTestCase):
    def test_the_second_save_of_the_same_version_is_refused_then_a_deliberate_resave_goes_through(self):
        url = change_url(self.question)
        anas_token = loaded_token(self.anas_browser.get(url))
        bens_token = loaded_token(self.bens_browser.get(url))
        self.assertEqual(anas_token, bens_token)

        self.assertEqual(self.post(self.anas_browser, url, anas_token, ANAS).status_code, 302)
        refused = self.post(self.bens_browser, url, bens_token, BENS)
        self.assert_refused_showing_anas_change(refused)

        # The re-shown form carries the new version's token: Ben has seen Ana's change.
        new_token = loaded_token(refused)
        self.assertNotEqual(new_token, bens_token)
        self.assertEqual(new_token, edit_guard.current_token(self.question.pk))
        self.assertEqual(self.post(self.bens_browser, url, new_token, BENS).status_code, 302)
        self.assertEqual(self.stored_answer(), BENS)
        # Nothing is lost: Ana's text is a version in the history.
        bodies = [v.field_dict["body"] for v in Version.objects.filter(
            object_id=str(self.question.pk), content_type__model="answer")]
        self.assertIn(ANAS, bodies)

    def test_a_post_without_a_token_is_refused_and_the_reshown_form_can_be_saved(self):
        url = change_url(self.question)
        refused = self.post(self.bens_browser, url, None, BENS)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "does not say which version of the article you opened")
        self.assertEqual(self.stored_answer(), ORIGINAL)
        self.assertEqual(self.post(self.bens_browser, url, loaded_token(refused), BENS).status_code, 302)
        self.assertEqual(self.stored_answer(), BENS)

    def test_an_invalid_form_of_the_current_version_keeps_its_token_and_is_not_a_conflict(self):
        url = change_url(self.question)
        token = loaded_token(self.bens_browser.get(url))
        data = factory.change_form_data(self.question, edit_token=token, slug="Not A Slug")
        response = self.bens_browser.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "after you opened it")
        self.assertEqual(loaded_token(response), token)

    def test_the_check_locks_the_row_then_reads_the_article_in_two_queries(self):
        with CaptureQueriesContext(connection) as queries:
            history.live_state(self.question.pk, lock=True)
        self.assertEqual(len(queries), 3)
        if connection.features.has_select_for_update:
            self.assertIn("FOR UPDATE", queries[0]["sql"])

    def test_a_live_state_and_the_version_that_recorded_it_have_the_same_token(self):
        history.ensure_initial_version(self.question)
        version = Version.objects.get_for_object(self.question).get()
        self.assertEqual(
            history.state_token(history.revision_state(version.revision, self.question.pk)),
            edit_guard.current_token(self.question.pk),
        )


    def test_when_the_opened_version_is_not_in_the_history_the_latest_save_is_shown(self):
        url = change_url(self.question)
        self.post(self.anas_browser, url, loaded_token(self.anas_browser.get(url)), ANAS)
        # A bulk change records no version: Ben opens a state that is in no version.
        editorial.set_no_index(Question.objects.filter(pk=self.question.pk), True, self.ana)
        bens_token = loaded_token(self.bens_browser.get(url))
        self.post(self.anas_browser, url, loaded_token(self.anas_browser.get(url)), ORIGINAL)
        refused = self.post(self.bens_browser, url, bens_token, BENS)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "What the latest save changed")
        self.assertContains(refused, "<del>Then the cytoplasm splits.</del>", html=True)


class ConcurrentRevertTests(TwoEditorsTestCase):
    def test_a_revert_opened_before_another_save_is_refused_then_goes_through_when_resubmitted(self):
        url = change_url(self.question)
        # A first save, so there is a version to revert to.
        self.post(self.anas_browser, url, loaded_token(self.anas_browser.get(url)), BENS)
        oldest = Version.objects.get_for_object(self.question).order_by("pk").first()
        revert_url = reverse("admin:qa_question_revision", args=[self.question.pk, oldest.pk])

        page = self.bens_browser.get(revert_url)
        self.assertContains(page, ORIGINAL)  # the version he picked
        bens_token = loaded_token(page)
        self.assertEqual(bens_token, edit_guard.current_token(self.question.pk))  # of the article, not the version

        # Meanwhile Ana saves.
        self.assertEqual(self.post(self.anas_browser, url, loaded_token(self.anas_browser.get(url)), ANAS).status_code, 302)

        refused = self.post(self.bens_browser, revert_url, bens_token, BENS)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "Ana saved this article on")
        self.assertContains(refused, "What changed since you opened this article")
        self.assertContains(refused, "<del>Meiosis makes gametes.</del>", html=True)
        self.assertContains(refused, BENS)
        self.assertEqual(self.stored_answer(), ANAS)  # the revert's early write was rolled back

        with self.captureOnCommitCallbacks(execute=True):
            data = factory.change_form_data(self.question, edit_token=loaded_token(refused), **{"answer-0-body": ORIGINAL})
            self.assertEqual(self.bens_browser.post(revert_url, data).status_code, 302)
        self.assertEqual(self.stored_answer(), ORIGINAL)
        latest = Version.objects.get_for_object(self.question).select_related("revision").first()
        self.assertIn("Reverted to previous version", latest.revision.get_comment())


@skipUnlessDBFeature("has_select_for_update")
class SimultaneousSavesTests(TransactionTestCase):
    """Two saves of the same loaded version in flight at once: the row lock lets one through."""

    def test_of_two_saves_arriving_together_one_goes_through_and_the_other_is_refused(self):
        biology = factory.make_subject("biology")
        question = factory.make_question(biology, "how-do-cells-divide", body=ORIGINAL)
        history.ensure_initial_version(question)
        token = edit_guard.current_token(question.pk)
        check, both_in_flight = edit_guard.EditGuard.check, threading.Barrier(2, timeout=10)

        def check_once_both_arrived(guard, form):
            both_in_flight.wait()  # both have read the article without the lock; neither has written
            return check(guard, form)

        statuses = {}

        def save(username, body):
            client = Client()
            # Superusers: a transactional test before this one may have flushed the migration-made Editors group.
            client.force_login(factory.make_superuser(username))
            data = factory.change_form_data(question, edit_token=token, **{"answer-0-body": body})
            try:
                statuses[body] = client.post(change_url(question), data).status_code
            finally:
                connection.close()

        with mock.patch.object(edit_guard.EditGuard, "check", check_once_both_arrived):
            threads = [threading.Thread(target=save, args=args) for args in (("ana", ANAS), ("ben", BENS))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(sorted(statuses.values()), [200, 302])
        saved = next(body for body, status in statuses.items() if status == 302)
        self.assertEqual(Question.objects.get(pk=question.pk).answer.body, saved)
