"""An article's path has one home (qa.paths): what it builds is what the URLconf routes."""
import pytest
from django.urls import resolve, reverse

from qa.paths import article_path, is_slug, split_article_path, subject_path


def test_built_paths_are_the_urlconfs_own():
    assert article_path("biology", "how-do-cells-divide") == reverse(
        "qa:question-detail", kwargs={"subject": "biology", "slug": "how-do-cells-divide"}
    )
    assert subject_path("biology") == reverse("qa:subject-detail", kwargs={"subject": "biology"})
    assert resolve(article_path("a-1", "b--2")).url_name == "question-detail"


@pytest.mark.parametrize(
    "path, parts",
    [
        ("/learn/biology/questions/how-do-cells-divide", ("biology", "how-do-cells-divide")),
        ("  /learn/a/questions/b  ", ("a", "b")),
        ("/learn/biology/questions/how-do-cells-divide\n", ("biology", "how-do-cells-divide")),  # stripped
        ("/learn/Biology/questions/x", None),
        ("/learn/biology/questions/", None),
        ("/learn/biology/questions/a/b", None),
        ("//evil.example/learn/a/questions/b", None),
        ("", None),
        (None, None),
    ],
)
def test_split_article_path(path, parts):
    assert split_article_path(path) == parts


def test_the_pattern_refuses_a_trailing_newline():
    from qa.paths import ARTICLE_PATH

    assert ARTICLE_PATH.match("/learn/a/questions/b") and not ARTICLE_PATH.match("/learn/a/questions/b\n")


def test_slugs():
    assert is_slug("cell-biology-101") and is_slug("a--b")
    assert not any(is_slug(s) for s in ("", "-a", "a-", "A", "a_b", "a\n", "a b"))
