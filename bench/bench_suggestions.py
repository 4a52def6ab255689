"""Suggested related articles: their recall@5 on the real sample, and their cost at 36,000 articles.

Recall: for every article of the real sample (../shared/corpus/learn) whose declared related links
lead to other articles of the sample, the suggestions are computed as if it declared none, and
recall@5 is the share of those declared targets among its five suggestions. Measured in the same
run for qa.suggestions (as shipped, and without each of its choices) and for a plain TF-IDF cosine
over the question and keywords (every word, raw counts, no subject boost), the baseline.

Cost: a 36,000-article site (bench.corpus) imported into an empty SQLite database with the
project's importer; then the import's suggestion step (store.refresh) timed alone, one editor's
save (store.refresh_article), and one article page's related cards.

    .venv/bin/python bench/bench_suggestions.py [--files 36000] [--no-site]
"""
import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

if not __package__:  # run as `python bench/bench_suggestions.py`: common puts the repository on sys.path
    import common  # noqa: F401

from bench.common import CORPUS_SEEDS, setup_django


def sample_articles():
    from qa.imports.seedfile import parse_seed

    return [parse_seed(path.read_bytes()) for path in sorted(CORPUS_SEEDS.rglob("*.md"))]


def declared_targets(seeds) -> dict[int, set[int]]:
    """Article index → the indexes of the other sample articles its declared links lead to
    (by URL, or by slug when exactly one sample article has it, as qa.related follows moves)."""
    from qa.paths import split_article_path

    by_url = {s.url: i for i, s in enumerate(seeds)}
    by_slug: dict[str, list[int]] = {}
    for i, s in enumerate(seeds):
        by_slug.setdefault(s.slug, []).append(i)
    truth = {}
    for i, seed in enumerate(seeds):
        found = set()
        for link in seed.related:
            parts = split_article_path(link.url)
            if link.url in by_url:
                found.add(by_url[link.url])
            elif parts and len(by_slug.get(parts[1], [])) == 1:
                found.add(by_slug[parts[1]][0])
        found.discard(i)
        if found:
            truth[i] = found
    return truth


def recall_at_5(truth, suggested) -> tuple[float, int, int]:
    hits = sum(len(targets & set(suggested.get(i, [])[:5])) for i, targets in truth.items())
    total = sum(len(targets) for targets in truth.values())
    return hits / total, hits, total


def plain_tfidf_baseline(seeds, queries) -> dict[int, list[int]]:
    """TF-IDF cosine over question + keywords as a stock vectorizer does it: words of two or more
    letters or digits, lowercased, raw counts, smoothed IDF, unit rows; no subject boost."""
    import numpy as np
    from scipy import sparse

    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for i, seed in enumerate(seeds):
        for word in re.findall(r"(?u)\b\w\w+\b", f"{seed.question} {seed.seo_keywords}".lower()):
            rows.append(i)
            columns.append(vocabulary.setdefault(word, len(vocabulary)))
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(seeds), len(vocabulary)))
    frequency = np.bincount(counts.indices, minlength=len(vocabulary))
    matrix = counts @ sparse.diags(np.log((1 + len(seeds)) / (1 + frequency)) + 1)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.csr_matrix(sparse.diags(1 / np.where(norms == 0, 1, norms)) @ matrix)
    scores = (matrix[queries] @ matrix.T).toarray()
    scores[np.arange(len(queries)), queries] = -1  # never itself
    return {q: list(np.argsort(-scores[row], kind="stable")[:5]) for row, q in enumerate(queries)}


@contextmanager
def settings_of(module, **values):
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def measure_recall() -> None:
    from qa.suggestions import similarity, terms

    seeds = sample_articles()
    truth = declared_targets(seeds)
    queries = sorted(truth)
    subject_ids = {slug: i for i, slug in enumerate(sorted({s.subject_slug for s in seeds}))}
    subjects = [subject_ids[s.subject_slug] for s in seeds]
    print(f"Real sample: {len(seeds)} articles; {len(truth)} declare links to {sum(map(len, truth.values()))} "
          "other articles of the sample.\n")

    def ours(weights=terms.PART_WEIGHTS, **changes):
        with settings_of(similarity, **changes), settings_of(terms, PART_WEIGHTS=weights):
            packed = [terms.pack(s.question, s.seo_keywords, s.seo_description) for s in seeds]
            return similarity.nearest(packed, subjects, queries)

    methods = [
        ("qa.suggestions (as shipped)", ours),
        ("  without the same-subject boost", lambda: ours(SAME_SUBJECT_BOOST=0.0)),
        ("  without the description", lambda: ours(weights=(2.0, 1.0, 0.0))),
        ("  without its two cuts (every word, every query term)",
         lambda: ours(MAX_DOCUMENT_FREQUENCY=1.0, QUERY_TERMS=10**6)),
        ("baseline: plain TF-IDF cosine, question + keywords", lambda: plain_tfidf_baseline(seeds, queries)),
    ]
    print("| method | recall@5 | declared targets found | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for name, method in methods:
        started = time.perf_counter()
        suggested = method()
        seconds = time.perf_counter() - started
        recall, hits, total = recall_at_5(truth, suggested)
        print(f"| {name} | {recall:.3f} | {hits} / {total} | {seconds:.2f} |")


def measure_site(files: int, tmp: Path) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.corpus import build_corpus
    from qa.imports.importer import SeedImporter, collect_seed_files
    from qa.models import Question, SuggestedRelated
    from qa.related import related_cards
    from qa.suggestions import store, terms

    seeds = tmp / "seeds"
    build_corpus(seeds, files)
    call_command("migrate", verbosity=0)
    print(f"\n{files:,} articles (bench.corpus) on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")

    started = time.perf_counter()
    report = SeedImporter().run(collect_seed_files([seeds]))
    print(f"- the whole import, suggestions included: {time.perf_counter() - started:.1f} s ({report.created:,} created)")

    texts = list(Question.objects.values_list("question", "seo__page_keywords", "seo__page_description"))
    started = time.process_time()
    for text in texts:
        terms.pack(*text)
    print(f"- packing every article's terms (done by the import's workers, beside parsing): "
          f"{time.process_time() - started:.2f} s CPU")

    started = time.perf_counter()
    stored = store.refresh()
    print(f"- the import's suggestion step alone (store.refresh(): read the terms, compute, write): "
          f"{time.perf_counter() - started:.2f} s, {stored:,} suggestions")

    article = Question.objects.filter(related_links__isnull=True).order_by("pk").first()
    started = time.perf_counter()
    store.refresh_article(article)
    print(f"- one editor's save (store.refresh_article): {(time.perf_counter() - started) * 1000:.0f} ms")

    article = Question.objects.get(pk=article.pk)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        cards = related_cards(article)
    print(f"- one page's related cards: {len(cards)} cards, {len(queries)} queries, "
          f"{(time.perf_counter() - started) * 1000:.1f} ms; "
          f"{SuggestedRelated.objects.filter(question=article).count()} suggestions stored for it")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=36_000)
    parser.add_argument("--no-site", action="store_true", help="only the recall on the real sample")
    args = parser.parse_args()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS_SEEDS}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/site.sqlite3"
        os.environ.pop("REDIS_URL", None)
        setup_django()
        measure_recall()
        if not args.no_site:
            measure_site(args.files, Path(tmp))


if __name__ == "__main__":
    main()
