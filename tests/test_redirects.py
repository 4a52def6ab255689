"""Stored redirects never chain."""
import pytest
from django.contrib.redirects.models import Redirect

from qa.redirects import add_redirect, normalise_path, save_redirects

pytestmark = pytest.mark.django_db


def stored():
    return dict(Redirect.objects.values_list("old_path", "new_path"))


def test_normalise_path():
    assert normalise_path("learn/a/questions/b/?x=1#top") == "/learn/a/questions/b"
    assert normalise_path("/") == "/"


def test_add_redirect_repoints_earlier_redirects():
    add_redirect("/a", "/b")
    add_redirect("/b", "/c")
    assert stored() == {"/a": "/c", "/b": "/c"}


def test_moving_back_drops_the_redirect_from_the_live_url():
    add_redirect("/a", "/b")
    add_redirect("/b", "/a")
    assert stored() == {"/b": "/a"}


def test_save_redirects_resolves_chains_and_skips_cycles():
    assert save_redirects({"/x": "/y", "/y": "/z", "/p": "/q", "/q": "/p"}) == 2
    assert stored() == {"/x": "/z", "/y": "/z"}
    assert save_redirects({"/x": "/y", "/y": "/z"}) == 0
