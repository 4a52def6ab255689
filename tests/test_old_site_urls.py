"""The old site's broken URLs (/learn/<s>/questions/undefined/learn/<s2>/questions/<slug>) answer 301 or 404."""
import pytest
from django.contrib.redirects.models import Redirect
from django.contrib.sites.models import Site

from tests.factories import ARTICLE, factory

pytestmark = pytest.mark.django_db

BROKEN = "/learn/chemistry/questions/undefined" + ARTICLE


def test_a_broken_old_url_moves_to_the_article_for_good(client):
    factory.make_article()
    response = client.get(BROKEN)
    assert response.status_code == 301
    assert response["Location"] == ARTICLE
    assert client.get(response["Location"]).status_code == 200


def test_the_query_string_and_a_trailing_slash_are_carried(client):
    factory.make_article()
    response = client.get(BROKEN + "/?utm_source=old")
    assert response.status_code == 301
    assert response["Location"] == ARTICLE + "?utm_source=old"


def test_an_article_that_moved_since_is_followed_to_where_it_lives(client):
    factory.make_article()
    Redirect.objects.create(site=Site.objects.get_current(), old_path="/learn/biology/questions/old-name", new_path=ARTICLE)
    response = client.get("/learn/physics/questions/undefined/learn/biology/questions/old-name")
    assert response.status_code == 301
    assert response["Location"] == ARTICLE


@pytest.mark.parametrize("path", [
    "/learn/biology/questions/undefined/learn/biology/questions/no-such-article",
    "/learn/biology/questions/undefined/learn/biology/questions/",
])
def test_no_article_at_the_end_is_a_404(client, path):
    factory.make_article()
    assert client.get(path).status_code == 404


def test_an_unpublished_article_is_not_revealed(client):
    question = factory.make_article()
    question.status = question.Status.DRAFT
    question.save()
    assert client.get(BROKEN).status_code == 404
