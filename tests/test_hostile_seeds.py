"""Hostile seed files: each bad one is refused on one clear line and nothing of it is written,
the rest of the batch lands, the import neither hangs nor grows without bound, and no page
ever runs a script that came in with a seed.

The small bad files live in tests/files/hostile/; the huge ones are made here, at run time.
"""
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa.models import Question, RelatedArticle, Subject
from qa.paths import ARTICLE_PATH
from tests.factories import factory
from tests.processes import child_env, manage_args, run_child, run_command

HOSTILE = Path(__file__).parent / "files" / "hostile"

# Each refused file and what its one error line must say.
REFUSED = {
    "control-character.md": "line 21: YAML error: control characters are not allowed",
    "date-impossible.md": "a value cannot be read (ValueError: day is out of range for month)",
    "date-yesterday.md": "'date' must be a date like 2025-01-24, not 'yesterday'",
    "deep-nesting-small.md": "nested more than 8 levels deep",
    "dup-url-second.md": "repeats the url /learn/hostile/questions/dup-url of ",
    "empty.md": "the file is empty",
    "id-huge.md": "'id' must be a whole number of at most 19 digits",
    "id-not-a-number.md": "'id' must be a whole number",
    "missing-answer.md": "missing required field: answer",
    "missing-question.md": "missing required field: question",
    "multiple-documents.md": "line 27: YAML error: expected a single document in the stream",
    "no-front-matter.md": "no front matter",
    "not-a-mapping.md": "the front matter is not a mapping",
    "not-utf8.md": "not UTF-8 (invalid byte 0xe9",
    "nul-byte.md": "contains a NUL byte",
    "python-object.md": "line 2: YAML error: could not determine a constructor for the tag",
    "slug-too-long.md": "'url' is too long",
    "tab-indentation.md": "line 12: YAML error",
    "title-a-mapping.md": "'title' must be text, not a mapping",
    "unclosed-front-matter.md": "the front matter is not closed by a '---' line",
    "url-dot-dot.md": "'/learn/hostile/questions/../../../etc/passwd' is not of the form",
    "url-outside-learn.md": "'/blog/hostile/url-outside-learn' is not of the form",
    "url-spaces.md": "'/learn/hostile/questions/url with spaces' is not of the form",
    "url-trailing-newline.md": r"'/learn/hostile/questions/url-trailing-newline\n' is not of the form",
    "url-uppercase.md": "'/learn/Hostile/questions/URL-Uppercase' is not of the form",
    "whitespace-only.md": "the file is empty",
    "yaml-alias.md": "YAML anchors and aliases are not allowed",
    "yaml-syntax-error.md": "line 10: YAML error: while parsing a flow sequence",
    # Made at run time by make_huge_files().
    "huge-50mb.md": "the file is larger than 128 KB (52,",
    "answer-too-long.md": "'answer' is longer than 30,000 characters (30,026)",
    "deep-nesting.md": "nest",
    "alias-bomb.md": "YAML anchors and aliases are not allowed",
}
# Files whose defect is in an optional part: the article lands without that part, with a warning
# that names the file and the key (shown with -v 2), never an error.
KEPT_WITH_WARNING = {
    'binary-value.md': "'_schema' holds bytes, which cannot be stored; ignored",
    'file-name-dot-dot.md': "'file_name' '../../settings.py' must be a plain file name; ignored",
    'no-index-maybe.md': "'no_index' must be true or false",
    'related-bad-url.md': "'related_article1.url' 'javascript:alert(1)' is not of the form",
    'related-position-repeated.md': 'a second related article at position',
    'related-six.md': 'at most 5 related articles',
    'related-to-itself.md': "'related_article1' points to the article itself; ignored",
    'score-nan.md': "'score' must be a number, not nan; ignored",
    'seo-a-string.md': "'seo' must be a mapping",
    'related-10000.md': "at most 5 related articles (related_article1..5); found 'related_article6'; ignored",
}
# The files of the hostile directory that must import, and their articles.
IMPORTED = {
    "bom-crlf.md": "/learn/hostile/questions/bom-crlf",
    "dup-url-first.md": "/learn/hostile/questions/dup-url",
    "script-everywhere.md": "/learn/hostile/questions/script-everywhere",
    "pathological-markdown.md": "/learn/hostile/questions/pathological-markdown",
    **{name: f"/learn/hostile/questions/{name.removesuffix('.md')}" for name in KEPT_WITH_WARNING},
}
GOOD = [("biology", f"good-{n}") for n in range(3)]


def make_huge_files(directory: Path) -> None:
    """The bad files too big to keep in the repository, and a slow-to-render good one."""
    template = (HOSTILE / "dup-url-first.md").read_text("utf-8")
    head, tail = template.split("score: -1.0\n")

    def seed(slug, front_matter="", answer=None):
        text = head.replace("/questions/dup-url", f"/questions/{slug}") + "score: -1.0\n" + front_matter + tail
        return text.replace("An answer with **bold** text.", answer) if answer else text

    with open(directory / "huge-50mb.md", "w", encoding="utf-8") as fh:
        fh.write(seed("huge-50mb").replace("An answer", "An answer" + " big" * 1024, 1))
        fh.write(("x" * 1023 + "\n") * 50 * 1024)
    (directory / "related-10000.md").write_text(seed("related-10000", "".join(
        f"related_article{n}:\n    url: /learn/a/questions/b{n}\n" for n in range(1, 1_001)
    )))
    (directory / "deep-nesting.md").write_text(seed("deep-nesting", "deep: " + "[" * 20_000 + "]" * 20_000 + "\n"))
    # Billion laughs: ten aliases of ten aliases … nine levels deep.
    bomb = "lol0: &lol0 [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
        f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 10) + "]\n" for n in range(1, 10)
    )
    (directory / "alias-bomb.md").write_text(seed("alias-bomb", bomb))
    (directory / "answer-too-long.md").write_text(seed("answer-too-long", answer="# h\\n" * 7_500 + "x"))
    (directory / "pathological-markdown.md").write_text(
        seed("pathological-markdown", answer="[" * 10_000 + "*a **b " * 2_400 + "> " * 1_250)
    )


@pytest.fixture
def batch(tmp_path):
    """Every hostile file, the huge ones, and good files, in one directory tree to import."""
    root = tmp_path / "batch"
    shutil.copytree(HOSTILE, root / "hostile")
    make_huge_files(root / "hostile")
    for subject, slug in GOOD:
        factory.write_seed(root / "good", subject, slug, related=[("hostile", "script-everywhere")])
    return root


def error_lines(err: str, root: Path) -> dict[str, str]:
    """file name → its error line; fails on any line that is not exactly one file's error or a warning."""
    lines = {}
    for line in err.splitlines():
        if line.startswith("warning: "):
            continue
        match = re.match(rf"error: {re.escape(str(root))}/([^/:]+): ", line)
        assert match, f"not an error line about one file: {line!r}"
        assert match[1] not in lines, f"two lines for {match[1]}"
        lines[match[1]] = line
    return lines


@pytest.mark.django_db
def test_each_bad_file_gets_one_clear_line_and_the_rest_of_the_batch_lands(batch):
    code, out, err = run_command("import_seeds", batch, "--quiet", "-v", "2")

    assert code == 1
    lines = error_lines(err, batch / "hostile")
    assert lines.keys() == REFUSED.keys()
    for name, reason in REFUSED.items():
        assert reason in lines[name], lines[name]
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    for name, reason in KEPT_WITH_WARNING.items():
        assert any(line.startswith(f"warning: {batch / 'hostile' / name}: ") and reason in line for line in warnings), name
    assert f", warnings {len(warnings)}" in out
    assert f"created {len(IMPORTED) + len(GOOD)}, updated 0, unchanged 0, unpublished 0, failed {len(REFUSED)}" in out

    # Nothing of a refused file was written: only the good articles, subjects and links exist.
    urls = {q.path for q in Question.objects.select_related("subject")}
    assert urls == set(IMPORTED.values()) | {f"/learn/{s}/questions/{slug}" for s, slug in GOOD}
    assert set(Subject.objects.values_list("slug", flat=True)) == {"hostile", "biology"}
    # Only the sound related links of the kept files landed: none to itself, none malformed, at most five.
    for question in Question.objects.prefetch_related("related_links"):
        links = list(question.related_links.all())
        assert len(links) <= 5
        assert all(ARTICLE_PATH.match(link.target_url) and link.target_url != question.path for link in links)
    assert not RelatedArticle.objects.filter(question__slug__in=["related-bad-url", "related-to-itself"]).exists()
    # Of two files with one url, the first one read wins.
    assert "An answer with" in Question.objects.get(slug="dup-url").answer.body


@pytest.mark.django_db
def test_file_names_that_are_not_printable_still_give_one_line(tmp_path):
    (tmp_path / "line\nbreak.md").write_bytes(b"")
    (tmp_path / os.fsdecode(b"latin1-\xe9.md")).write_bytes(b"")
    code, _, err = run_command("import_seeds", tmp_path, "--quiet")
    assert code == 1
    assert sorted(err.splitlines()) == [
        f"error: {tmp_path}/latin1-\\udce9.md: the file is empty",
        f"error: {tmp_path}/line\\nbreak.md: the file is empty",
    ]


def test_the_import_never_hangs_and_its_memory_stays_bounded(batch, new_sqlite_db):
    # Enough good files that parsing runs in the importer's worker processes too.
    for n in range(250):
        factory.write_seed(batch / "many", "chemistry", f"question-{n}", id=n)
    result = run_child(manage_args("import_seeds", batch, "--quiet"), child_env(new_sqlite_db("hostile")), timeout=180)

    assert result.code == 1, result.err
    assert error_lines(result.err, batch / "hostile").keys() == REFUSED.keys()
    assert f"created {len(IMPORTED) + len(GOOD) + 250}," in result.out, result.out
    print(f"import of the hostile batch: peak RSS {result.peak_rss_mb:.0f} MB, {result.seconds:.1f} s")
    # The 50 MB file is never read whole, and the alias bomb never expands (about 85 MB measured).
    assert result.peak_rss_mb < 200, f"peak RSS {result.peak_rss_mb:.0f} MB"


# -- no page runs injected script -----------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "srcset", "background", "cite",
                  "xlink:href", "ping", "manifest", "lowsrc", "dynsrc"}
BAD_URL = re.compile(r"^(?:javascript|vbscript|data\s*:\s*text/html)\s*:?", re.IGNORECASE)


class ScriptFinder(HTMLParser):
    """Everything in an HTML document that a browser would run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.script = [], None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            # Browsers drop control characters and spaces inside a scheme ("java\tscript:").
            if name in URL_ATTRIBUTES and value and BAD_URL.match(re.sub(r"[\x00-\x20]", "", value)):
                self.problems.append(f"<{tag} {name}={value!r}>")
        attributes = dict(attrs)
        if tag in {"iframe", "object", "embed", "base", "frame"}:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            self.script = (attributes, [])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self.script:
            self.script[1].append(data)

    def handle_endtag(self, tag):
        if tag != "script" or not self.script:
            return
        attributes, parts = self.script
        self.script, text = None, "".join(parts)
        if (attributes.get("type") or "").endswith("json"):
            # Data, not code, as long as a title in it could not break out of the element.
            try:
                json.loads(text)
            except ValueError:
                self.problems.append(f"<script type=json> that is not JSON: {text[:80]!r}")
        elif "xss" in text or not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> that is not the site's own: {text[:80]!r}")


def runnable_script(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_script_finder_finds_what_a_browser_would_run():
    assert runnable_script('<p>alert("xss") onerror=alert(1) javascript:alert(1)</p><a href="/learn/">ok</a>') == []
    for html in [
        '<script>alert("xss")</script>', "<img src=x onerror=alert(1)>", '<a href="java&#x09;script:alert(1)">x</a>',
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>', '<iframe src="/"></iframe>',
        '<script type="application/ld+json">{"name": "</script><script>alert(1)</script>"}</script>',
    ]:
        assert runnable_script(html), html


@pytest.mark.django_db
def test_no_page_runs_a_script_that_came_in_with_a_seed(client, tmp_path):
    shutil.copy(HOSTILE / "script-everywhere.md", tmp_path)
    shutil.copy(HOSTILE / "dup-url-first.md", tmp_path)  # the target of its related link
    factory.write_seed(tmp_path, "biology", "links-to-it", related=[("hostile", "script-everywhere")])
    code, _, err = run_command("import_seeds", tmp_path, "--quiet")
    assert (code, err) == (0, "")

    question = Question.objects.get(slug="script-everywhere")
    assert runnable_script(question.answer.html) == []
    pages = [question.path, "/learn/biology/questions/links-to-it", "/learn/hostile/", "/learn/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert runnable_script(response.content.decode()) == [], path
    # The text itself is kept, and shown as text.
    page = client.get(question.path).content.decode()
    assert "&lt;script&gt;alert(&quot;xss-question&quot;)&lt;/script&gt;" in page
