"""The primary/replica router: anonymous reads go to the replica, everything else to the primary."""
import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory

from qa.models import Question
from qa.serving.db_router import PinPrimaryMiddleware, PrimaryReplicaRouter
from tests.processes import read_settings

router = PrimaryReplicaRouter()


def read_database_during(request) -> str:
    """Which database a read made while handling ``request`` goes to."""
    seen = []

    def view(request):
        seen.append(router.db_for_read(Question))
        return HttpResponse()

    PinPrimaryMiddleware(view)(request)
    return seen[0]


def test_anonymous_page_views_read_from_the_replica():
    assert read_database_during(RequestFactory().get("/learn/")) == "replica"
    assert read_database_during(RequestFactory().head("/learn/")) == "replica"


def test_writes_and_editors_read_from_the_primary():
    assert read_database_during(RequestFactory().post("/admin/login/")) == "default"
    editor = RequestFactory().get("/learn/")
    editor.COOKIES["sessionid"] = "abc"
    assert read_database_during(editor) == "default"


def test_reads_outside_requests_use_the_primary():
    # Management commands and the importer must see their own writes.
    assert router.db_for_read(Question) == "default"


def test_reads_inside_a_transaction_use_the_primary(monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", True)
    assert read_database_during(RequestFactory().get("/learn/")) == "default"


def test_writes_and_migrations_go_to_the_primary_only():
    assert router.db_for_write(Question) == "default"
    assert router.allow_migrate("default", "qa")
    assert not router.allow_migrate("replica", "qa")


def test_the_pin_is_released_after_the_request():
    read_database_during(RequestFactory().get("/learn/"))
    assert router.db_for_read(Question) == "default"


@pytest.mark.parametrize("with_replica", [True, False])
def test_replica_is_configured_only_by_database_replica_url(with_replica):
    env = {"DEBUG": "1"}
    if with_replica:
        env["DATABASE_REPLICA_URL"] = "postgres://reader@replica.internal:5432/quicktakes"
    values = read_settings("DATABASES", "DATABASE_ROUTERS", "MIDDLEWARE", **env)
    if not with_replica:
        assert "replica" not in values["DATABASES"]
        assert not values["DATABASE_ROUTERS"]
        assert "qa.serving.db_router.PinPrimaryMiddleware" not in values["MIDDLEWARE"]
        return
    replica = values["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("replica.internal", "quicktakes")
    assert replica["TEST"]["MIRROR"] == "default"
    assert values["DATABASE_ROUTERS"] == ["qa.serving.db_router.PrimaryReplicaRouter"]
    middleware = values["MIDDLEWARE"]
    # Pinned before anything reads: the page cache reads the content version.
    assert middleware.index("qa.serving.db_router.PinPrimaryMiddleware") < middleware.index("qa.serving.page_cache.PageCacheMiddleware")
