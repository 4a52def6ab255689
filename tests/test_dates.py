"""Honest dates: dateModified, article:modified_time, the sitemaps' lastmod and the feeds' updated say
when the content last changed (the seed's date on a first import, then a changed file's import, an
editor's save that changed something or a revert), never merely when the row was written."""
import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from qa.models import Question
from tests.factories import factory
from tests.html_checks import page_of
from tests.processes import run_command

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
SEED_DAY = "2025-01-24T00:00:00+00:00"
PATH = "/learn/biology/questions/how-do-cells-divide"


def shown_dates(client) -> dict[str, str]:
    """Every place a reader or a crawler is told when the article last changed."""
    page = page_of(client.get(PATH))
    sitemap = ET.fromstring(client.get("/sitemaps/biology.xml").content)
    feed = ET.fromstring(client.get(reverse("qa:feed")).content)
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id", "").endswith(PATH) or
                 any(link.get("href", "").endswith(PATH) for link in e.iter(f"{ATOM}link")))
    return {
        "dateModified": page.structured("Article")["dateModified"],
        "article:modified_time": page.meta["article:modified_time"],
        "lastmod": next(u.findtext(f"{SM}lastmod") for u in sitemap.iter(f"{SM}url") if u.findtext(f"{SM}loc").endswith(PATH)),
        "feed updated": entry.findtext(f"{ATOM}updated"),
    }


def moment(value: str) -> datetime.datetime:
    when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


@pytest.fixture
def imported(client, tmp_path, db):
    seed = factory.write_seed(tmp_path / "seeds")
    code, out, err = run_command("import_seeds", tmp_path / "seeds", "--quiet")
    assert code == 0, err
    return seed


def assert_all_say(dates: dict[str, str], when: datetime.datetime, slack=datetime.timedelta(seconds=0)):
    for name, value in dates.items():
        if "T" not in value:  # the sitemaps give the day only
            assert value == when.astimezone(datetime.UTC).date().isoformat(), (name, value, when)
        else:
            assert abs(moment(value) - when) <= slack, (name, value, when)


def test_a_first_import_says_the_seeds_own_date(client, imported):
    assert_all_say(shown_dates(client), moment(SEED_DAY))


def test_an_unchanged_reimport_and_a_rerender_change_no_date(client, imported):
    before = shown_dates(client)
    assert run_command("import_seeds", imported.parent.parent, "--quiet")[0] == 0
    call_command("rerender", verbosity=0)
    assert shown_dates(client) == before


def test_the_import_of_a_changed_file_says_now(client, imported):
    imported.write_text(imported.read_text().replace("Cells divide by", "Cells split by"))
    started = timezone.now()
    assert run_command("import_seeds", imported.parent.parent, "--quiet")[0] == 0
    assert_all_say(shown_dates(client), started, slack=datetime.timedelta(seconds=30))
    assert moment(shown_dates(client)["dateModified"]) >= started.replace(microsecond=0)


def test_an_editors_save_says_now_but_a_save_that_changes_nothing_does_not(client, imported):
    question = Question.objects.select_related("answer", "seo").get()
    client.force_login(factory.make_superuser())
    url = reverse("admin:qa_question_change", args=[question.pk])

    assert client.post(url, factory.change_form_data(question)).status_code == 302
    question.refresh_from_db()
    assert question.content_changed_at == moment(SEED_DAY)

    started = timezone.now()
    assert client.post(url, factory.change_form_data(question, **{"answer-0-body": "Cells split."})).status_code == 302
    question.refresh_from_db()
    assert question.content_changed_at >= started
    client.logout()
    assert_all_say(shown_dates(client), question.content_changed_at.replace(microsecond=0), slack=datetime.timedelta(seconds=1))
