"""import_seeds: idempotent, updates, --sync, bad files, --dry-run, subjects and redirects."""
import datetime
import io

import pytest
from django.contrib.redirects.models import Redirect
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Version

from qa.models import Question, Subject
from tests.factories import factory
from tests.processes import run_command

pytestmark = pytest.mark.django_db


def run_import(*args):
    """Run the command; return (exit code, stdout, stderr)."""
    return run_command("import_seeds", *args, "--quiet")


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Question, Subject, Redirect, Version)
    }


def test_imports_an_article_with_everything(tmp_path):
    factory.write_seed(tmp_path, "biology", "what-is-dna", related=[("chemistry", "what-is-an-acid")], legacy_flag="kept")
    before = timezone.now()
    code, out, _ = run_import(tmp_path)
    assert code == 0
    assert "created 1, updated 0, unchanged 0, unpublished 0, failed 0" in out
    question = Question.objects.select_related("subject", "answer", "seo").get()
    assert question.get_absolute_url() == "/learn/biology/questions/what-is-dna"
    assert question.status == Question.Status.PUBLISHED
    assert question.is_published()
    assert question.subject.title == "Biology"
    assert "<strong>mitosis</strong>" in question.answer.html
    assert question.seo.page_keywords == "cells, mitosis"
    assert [link.target_url for link in question.related_links.all()] == ["/learn/chemistry/questions/what-is-an-acid"]
    # Written without the ORM: every column still reads back as the model's own type.
    assert question.date == datetime.date(2025, 1, 24)
    assert (question.source_id, question.score, question.no_index, question.publish_at) == (1001, -1.0, False, None)
    assert question.extra == {"_schema": "default", "subject": "Biology", "file_name": "what-is-dna.md", "legacy_flag": "kept"}
    assert before <= question.created_at == question.updated_at <= timezone.now()
    assert len(question.source_hash) == 64 and not question.source_missing


def test_second_run_writes_nothing(tmp_path):
    for n in range(3):
        factory.write_seed(tmp_path, "biology", f"question-{n}", id=n)
    run_import(tmp_path)
    with CaptureQueriesContext(connection) as queries:
        code, out, _ = run_import(tmp_path)
    assert code == 0
    assert "created 0, updated 0, unchanged 3" in out
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_changed_file_updates_its_article_and_records_a_revision(tmp_path):
    path = factory.write_seed(tmp_path, "biology", "what-is-dna", related=[("biology", "a"), ("biology", "b")])
    run_import(tmp_path)
    pk = Question.objects.get().pk
    factory.write_seed(tmp_path, "biology", "what-is-dna", answer=r"New answer\n\nwith $x^2$.", related=[("biology", "c")])
    code, out, _ = run_import(path)
    assert "created 0, updated 1, unchanged 0" in out
    question = Question.objects.get()
    assert question.pk == pk
    assert question.answer.body == "New answer\n\nwith $x^2$."
    assert [r.target_url for r in question.related_links.all()] == ["/learn/biology/questions/c"]
    assert Version.objects.get_for_object(question).count() == 1


def test_same_source_id_in_two_subjects_gives_two_articles(tmp_path):
    factory.write_seed(tmp_path, "biology", "what-is-dna", id=7)
    factory.write_seed(tmp_path, "chemistry", "what-is-dna", id=7)
    run_import(tmp_path)
    assert sorted(Question.objects.values_list("subject__slug", "source_id")) == [("biology", 7), ("chemistry", 7)]


def test_bad_files_are_reported_and_the_good_ones_land(tmp_path):
    factory.write_seed(tmp_path, "biology", "good-one")
    factory.write_seed(tmp_path, "biology", "bad-date", date="yesterday")
    (tmp_path / "biology" / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    factory.write_seed(tmp_path, "biology", "good-two")
    dup = factory.write_seed(tmp_path, "zoology", "dup")
    dup.write_text(dup.read_text().replace("/learn/zoology/questions/dup", "/learn/biology/questions/good-two"))
    code, out, err = run_import(tmp_path)
    assert code == 1
    assert "created 2, updated 0, unchanged 0, unpublished 0, failed 3" in out
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert any("bad-date.md: 'date' must be a date" in line for line in lines)
    assert any("latin1.md: not UTF-8" in line for line in lines)
    assert any("dup.md: repeats the url /learn/biology/questions/good-two" in line for line in lines)
    assert sorted(Question.objects.values_list("slug", flat=True)) == ["good-one", "good-two"]
    assert not Subject.objects.filter(slug="zoology").exists()


def test_dry_run_validates_and_writes_nothing(tmp_path):
    factory.write_seed(tmp_path, "biology", "good-one")
    factory.write_seed(tmp_path, "biology", "bad", id="abc")
    subjects = tmp_path / "subjects.yaml"
    subjects.write_text("- slug: biology\n  title: Life\n  listed: true\n")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_seeds", str(tmp_path / "biology"), "--dry-run", "--quiet", "--subjects", str(subjects),
                     stdout=out, stderr=err)
    assert "dry run, nothing written: created 1" in out.getvalue()
    assert "failed 1" in out.getvalue()
    assert counts() == {"Question": 0, "Subject": 0, "Redirect": 0, "Version": 0}


def test_subject_titles_come_from_the_slug_and_editors_keep_theirs(tmp_path):
    factory.write_seed(tmp_path, "history-of-the-world", "why-did-rome-fall")
    run_import(tmp_path)
    subject = Subject.objects.get()
    assert subject.title == "History of the World"
    subject.title = "World History"
    subject.save()
    factory.write_seed(tmp_path, "history-of-the-world", "why-did-rome-fall", answer="changed")
    run_import(tmp_path)
    assert Subject.objects.get().title == "World History"


def test_subjects_file_sets_titles_listing_and_order(tmp_path):
    subjects = tmp_path / "subjects.yaml"
    subjects.write_text(
        "- slug: zoology\n  title: Zoology\n  listed: true\n- slug: american-culture\n  title: American Culture\n"
        "  listed: false\n"
    )
    factory.write_seed(tmp_path / "seeds", "american-culture", "what-is-jazz")
    code, _, _ = run_import(tmp_path / "seeds", "--subjects", subjects)
    assert code == 0
    assert list(Subject.objects.values_list("slug", "title", "is_listed")) == [
        ("zoology", "Zoology", True),
        ("american-culture", "American Culture", False),
    ]


def test_a_subject_title_longer_than_its_column_is_cut_with_a_warning(tmp_path):
    # The attack of the security review (issue 13): on PostgreSQL this failed the whole import.
    subjects = tmp_path / "subjects.yaml"
    subjects.write_text(f"- slug: biology\n  title: {'Biology ' * 40}\n")
    factory.write_seed(tmp_path / "seeds", "biology", "what-is-dna")
    code, _, err = run_command("import_seeds", tmp_path / "seeds", "--subjects", subjects, "-v2")
    assert code == 0
    assert f"{subjects}: entry 1 (biology): the title is longer than 200 characters; cut" in err
    title = Subject.objects.get(slug="biology").title
    assert len(title) <= 200 and title.startswith("Biology Biology")
    assert Question.objects.filter(slug="what-is-dna").exists()


def test_redirects_csv_is_loaded_without_chains(tmp_path):
    factory.write_seed(tmp_path / "seeds", "chemistry", "what-is-an-acid")
    csv = tmp_path / "redirects.csv"
    csv.write_text(
        "old_path,new_path\n"
        "/learn/biology/questions/what-is-an-acid,/learn/physics/questions/what-is-an-acid\n"
        "/learn/physics/questions/what-is-an-acid,/learn/chemistry/questions/what-is-an-acid\n"
        "/learn/a/questions/x,/learn/a/questions/x\n"
    )
    code, out, _ = run_import(tmp_path / "seeds", "--redirects", csv)
    assert code == 0
    assert dict(Redirect.objects.values_list("old_path", "new_path")) == {
        "/learn/biology/questions/what-is-an-acid": "/learn/chemistry/questions/what-is-an-acid",
        "/learn/physics/questions/what-is-an-acid": "/learn/chemistry/questions/what-is-an-acid",
    }
    # Loading the same file again changes nothing.
    _, out, _ = run_import(tmp_path / "seeds", "--redirects", csv)
    assert "redirects 0" in out


@pytest.mark.parametrize("target", ["//evil.example/phish", "/\\evil.example/phish", "/\t/evil.example/phish", "\\\\evil.example"])
def test_a_redirects_csv_cannot_send_readers_off_the_site(tmp_path, client, target):
    # The attack of the security review: a protocol-relative target in the CSV (issue 13).
    factory.write_seed(tmp_path / "seeds", "chemistry", "what-is-an-acid")
    csv = tmp_path / "redirects.csv"
    csv.write_text(f'old_path,new_path\n/learn/old/questions/a,"{target}"\n')
    assert run_import(tmp_path / "seeds", "--redirects", csv)[0] == 0
    location = client.get("/learn/old/questions/a")["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "\t" not in location
    assert location.lstrip("/").startswith("evil.example")  # a path on this site, not that host


def test_a_stored_protocol_relative_target_is_served_as_a_local_path(client):
    # A row loaded before the fix (or written by hand) still never leads off the site.
    Redirect.objects.create(site_id=1, old_path="/learn/old/questions/a", new_path="//evil.example/phish")
    response = client.get("/learn/old/questions/a?x=1")
    assert (response.status_code, response["Location"]) == (301, "/evil.example/phish?x=1")


def test_sync_unpublishes_missing_files_and_redirects_moves(tmp_path):
    seeds = tmp_path / "seeds"
    old = factory.write_seed(seeds, "biology", "what-is-an-acid", id=5)
    factory.write_seed(seeds, "biology", "what-is-dna", id=6)
    run_import(seeds, "--sync")
    # The acid article moves to chemistry; the DNA article's file is deleted.
    old.unlink()
    (seeds / "biology" / "what-is-dna.md").unlink()
    factory.write_seed(seeds, "chemistry", "what-is-an-acid", id=5)
    code, out, _ = run_import(seeds, "--sync")
    assert code == 0
    assert "created 1, updated 0, unchanged 0, unpublished 2" in out
    statuses = dict(Question.objects.values_list("subject__slug", "status").filter(slug="what-is-an-acid"))
    assert statuses == {"biology": "unpublished", "chemistry": "published"}
    assert Question.objects.filter(status="unpublished").count() == 2  # never deleted
    assert dict(Redirect.objects.values_list("old_path", "new_path")) == {
        "/learn/biology/questions/what-is-an-acid": "/learn/chemistry/questions/what-is-an-acid"
    }
    # The file comes back: the article is published again.
    factory.write_seed(seeds, "biology", "what-is-dna", id=6)
    _, out, _ = run_import(seeds, "--sync")
    assert "unchanged 1" in out and "unpublished 0" in out
    assert Question.objects.get(slug="what-is-dna").status == "published"


def test_sync_never_unpublishes_an_article_whose_file_is_broken(tmp_path):
    factory.write_seed(tmp_path, "biology", "what-is-dna")
    run_import(tmp_path, "--sync")
    factory.write_seed(tmp_path, "biology", "what-is-dna", date="yesterday")
    code, out, _ = run_import(tmp_path, "--sync")
    assert code == 1
    assert "unpublished 0, failed 1" in out
    assert Question.objects.get().status == "published"


def test_missing_path_is_a_command_error(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no such file or directory"):
        call_command("import_seeds", str(tmp_path / "nope"), "--quiet")


@pytest.mark.corpus
def test_imports_the_real_sample(corpus_dir):
    code, out, err = run_import(
        corpus_dir / "learn",
        "--subjects", corpus_dir / "subjects.yaml",
        "--redirects", corpus_dir / "legacy-redirects.csv",
    )
    assert code == 0, err
    assert "created 2552, updated 0, unchanged 0, unpublished 0, failed 0" in out
    assert Subject.objects.count() == 40
    assert Subject.objects.filter(is_listed=True).count() == 26
    assert Question.objects.published().count() == 2552
    assert Question.objects.values("source_id").distinct().count() < 2552  # cross-listed ids
    assert Redirect.objects.count() > 2000
    assert not Redirect.objects.filter(new_path__in=Redirect.objects.values("old_path")).exists()
    code, out, _ = run_import(corpus_dir / "learn", "--subjects", corpus_dir / "subjects.yaml")
    assert "created 0, updated 0, unchanged 2552" in out


def test_bulk_insert_refuses_a_value_too_long_for_its_column_instead_of_cutting_it():
    from django.db import DatabaseError, transaction

    from qa.imports.bulk import insert_rows

    subject = Subject.objects.create(slug="biology", title="Biology")
    row = (subject.pk, "x" * 300, "t", "q", datetime.date(2025, 1, 1), "published", timezone.now(), timezone.now(), {})
    columns = ["subject_id", "slug", "title", "question", "date", "status", "created_at", "updated_at", "extra"]
    if connection.vendor == "sqlite":
        pytest.skip("SQLite does not enforce column lengths; the seed parser does (TEXT_LIMITS)")
    with pytest.raises(DatabaseError, match="too long"), transaction.atomic():
        insert_rows(Question, columns, [row], returning=("id",))


def test_changed_files_of_one_import_share_one_revision_with_each_article_whole(tmp_path):
    for slug in ("what-is-dna", "what-is-rna"):
        factory.write_seed(tmp_path, "biology", slug, related=[("biology", "a")])
    run_import(tmp_path)
    for slug in ("what-is-dna", "what-is-rna"):
        factory.write_seed(tmp_path, "biology", slug, answer="Changed.", related=[("biology", "b")])
    code, out, _ = run_import(tmp_path)
    assert "updated 2" in out
    revisions = {Version.objects.get_for_object(q).get().revision_id for q in Question.objects.all()}
    assert len(revisions) == 1
    kept = sorted(Version.objects.filter(revision_id=revisions.pop()).values_list("content_type__model", flat=True))
    assert kept == ["answer", "answer", "question", "question", "relatedarticle", "relatedarticle", "seo", "seo"]


@pytest.mark.django_db
def test_a_link_to_the_article_itself_costs_the_link_not_the_article(tmp_path):
    """The real site's two refused articles (education-studies/how-does-schema-theory-…,
    psychology/what-are-the-key-components-of-singlesubject-…) declare a related link to themselves."""
    slug = "how-does-schema-theory-explain-the-influence-of-prior-knowledge-on-learning"
    path = factory.write_seed(
        tmp_path, "education-studies", slug,
        related=[("education-studies", slug), ("psychology", "what-is-memory")],
    )
    factory.write_seed(tmp_path, "psychology", "what-is-memory", id=1002)

    code, out, err = run_command("import_seeds", tmp_path, "--quiet", "-v", "2")

    assert code == 0, err
    assert "created 2, updated 0, unchanged 0, unpublished 0, failed 0" in out and ", warnings 1" in out
    assert err.strip() == f"warning: {path}: 'related_article1' points to the article itself; ignored"
    question = Question.objects.get(slug=slug)
    assert [link.target_url for link in question.related_links.all()] == ["/learn/psychology/questions/what-is-memory"]


@pytest.mark.django_db
def test_warnings_are_counted_but_printed_only_with_verbosity_2(tmp_path):
    factory.write_seed(tmp_path, score="high", seo="none")

    code, out, err = run_command("import_seeds", tmp_path, "--quiet")

    assert code == 0 and err == ""
    assert "created 1," in out and ", warnings 2" in out
    assert Question.objects.get().score is None
