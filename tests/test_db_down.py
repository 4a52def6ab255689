"""With the database down readers get a 503 page in the site's look, and the site recovers by itself."""
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from tests.factories import ARTICLE, factory
from tests.processes import free_port


@contextmanager
def database_down():
    """Every new cursor fails as it does when the server refuses connections."""
    refused = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=refused):
        yield


def assert_is_the_503_page(response):
    assert response.status_code == 503
    html = response.content.decode()
    assert "Back soon" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html  # base.html's layout
    assert 'error-page__code">503<' in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_reader_gets_the_503_page_and_the_site_recovers(client):
    factory.make_article()
    with database_down():
        assert_is_the_503_page(client.get(ARTICLE))
        assert_is_the_503_page(client.get("/learn/"))
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert "<strong>mitosis</strong>" in response.content.decode()


@pytest.mark.django_db
def test_a_cached_page_is_still_served_while_the_database_is_down(client, settings):
    factory.make_article()
    client.get(ARTICLE)
    settings.PAGE_CACHE_VERSION_TTL = 0  # the version must be read again, and cannot be
    with database_down():
        response = client.get(ARTICLE)
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"
        assert_is_the_503_page(client.get("/learn/"))  # never cached: nothing to fall back on


@pytest.mark.django_db
def test_a_database_error_outside_the_view_also_gives_the_503_page():
    # An unknown path ends in the redirect fallback middleware, which looks up its table.
    client = Client(raise_request_exception=False)
    with database_down():
        assert_is_the_503_page(client.get("/no-such-page/"))
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_postgresql_server_gone_and_back(client):
    """A real refused connection, not a mock: the server 'moves' to a closed port and back."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    factory.make_article()
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        assert_is_the_503_page(client.get(ARTICLE))
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert client.get(ARTICLE).status_code == 200
