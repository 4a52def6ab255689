"""Which articles are alike: TF-IDF cosine over the words of their question, SEO keywords and
description, an article of the same subject counting a little more.

Each article's weighted word counts come packed by qa.suggestions.terms, as ``ArticleTerms``
stores them; :func:`nearest` builds the TF-IDF matrix of every candidate from those bytes and
finds each query's neighbours, a few thousand rows at a time.

Two cuts keep 36,000 articles to about a second (bench/bench_suggestions.py measures what they
cost in recall): words in more than 5% of the articles take no part in the comparison, and an
article looks for neighbours through its ten heaviest words only.
"""
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from qa.suggestions.terms import COLUMNS

TERM = np.dtype([("column", "<i4"), ("count", "<f4")])  # as qa.suggestions.terms.pack writes them
SAME_SUBJECT_BOOST = 0.3
MAX_DOCUMENT_FREQUENCY = 0.05  # of the articles, and never fewer than COMMON_FLOOR
COMMON_FLOOR = 100  # so that in a small site no word is "common"
QUERY_TERMS = 10
CHUNK = 4096
FEW_QUERIES = 16
FLOOR = 0.05  # a score below this is no suggestion (1 is the same words)


def tfidf_matrix(packed: Sequence[bytes]) -> sparse.csr_matrix:
    """One row per article: sublinear counts times smoothed IDF, of unit length."""
    lengths = np.fromiter((len(p) // TERM.itemsize for p in packed), dtype=np.int64, count=len(packed))
    terms = np.frombuffer(b"".join(packed), dtype=TERM)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    matrix = sparse.csr_matrix((np.log1p(terms["count"]), terms["column"], indptr), shape=(len(packed), COLUMNS))
    frequency = np.bincount(terms["column"], minlength=COLUMNS)
    idf = (np.log((1 + len(packed)) / (1 + frequency)) + 1).astype(np.float32)
    matrix.data *= idf[matrix.indices]
    squares = np.concatenate([[0], np.cumsum(matrix.data.astype(np.float64) ** 2)])
    norms = np.sqrt(squares[indptr[1:]] - squares[indptr[:-1]])
    norms[norms == 0] = 1
    matrix.data /= np.repeat(norms, lengths).astype(np.float32)
    return matrix


def _without_common_words(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    frequency = np.bincount(matrix.indices, minlength=COLUMNS)
    kept = matrix.copy()
    common = max(MAX_DOCUMENT_FREQUENCY * matrix.shape[0], COMMON_FLOOR)
    kept.data[frequency[kept.indices] > common] = 0
    kept.eliminate_zeros()
    return kept


def _heaviest(matrix: sparse.csr_matrix, count: int) -> sparse.csr_matrix:
    """Each row's ``count`` largest entries."""
    heavy = matrix.copy()
    rows = np.repeat(np.arange(heavy.shape[0]), np.diff(heavy.indptr))
    order = np.lexsort((-heavy.data, rows))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - heavy.indptr[rows[order]]
    heavy.data[rank >= count] = 0
    heavy.eliminate_zeros()
    return heavy


@dataclass
class _Search:
    """What every chunk of queries is compared with; shared by fork with the worker processes."""

    matrix: sparse.csr_matrix
    subjects: np.ndarray
    eligible: np.ndarray | None
    refused: np.ndarray  # excluded (query, candidate) pairs, each as query * width + candidate, sorted
    k: int

    @cached_property
    def by_column(self) -> sparse.csr_matrix:
        return self.matrix.T.tocsr()

    def scores(self, queries: sparse.csr_matrix) -> sparse.coo_matrix:
        """Each query row's dot product with every article. A few queries (an editor's save)
        are multiplied from the right, which spares transposing the whole matrix."""
        if queries.shape[0] <= FEW_QUERIES:
            return (self.matrix @ queries.T).T.tocoo()
        return (queries @ self.by_column).tocoo()

    def best(self, rows: np.ndarray) -> tuple[list[int], list[int]]:
        """(query, neighbour) pairs: each of ``rows`` with its k best, best first."""
        scores = self.scores(_heaviest(self.matrix[rows], QUERY_TERMS))
        strong = scores.data >= FLOOR  # most pairs share one middling word: drop them first
        position, candidate, score = scores.row[strong], scores.col[strong].astype(np.int64), scores.data[strong]
        query = rows[position]
        same = self.subjects[candidate] == self.subjects[query]
        score = np.where(same, score * (1 + SAME_SUBJECT_BOOST), score)
        keep = candidate != query
        if len(self.refused):
            pairs = query * self.matrix.shape[0] + candidate
            at = np.minimum(np.searchsorted(self.refused, pairs), len(self.refused) - 1)
            keep &= self.refused[at] != pairs
        if self.eligible is not None:
            keep &= self.eligible[candidate]
        position, candidate, score = position[keep], candidate[keep], score[keep]
        # Best first within each query: one sort on (the query's position, minus the score).
        order = np.argsort(position * 4.0 - score, kind="stable")
        position, candidate = position[order], candidate[order]
        rank = np.arange(len(position)) - np.searchsorted(position, np.arange(len(rows)))[position]
        return rows[position[rank < self.k]].tolist(), candidate[rank < self.k].tolist()


_shared: _Search | None = None  # set in the parent just before the workers fork


def _best_in_worker(rows: np.ndarray) -> tuple[list[int], list[int]]:
    return _shared.best(rows)


def nearest(
    packed: Sequence[bytes],
    subjects: Sequence[int],
    queries: Sequence[int],
    excluded: dict[int, set[int]] | None = None,
    eligible: Sequence[bool] | None = None,
    k: int = 5,
    workers: int = 1,
) -> dict[int, list[int]]:
    """For each row in ``queries``, up to ``k`` other rows, most alike first: ``eligible`` ones
    (all when None), none of its ``excluded``. With ``workers`` > 1 and many queries, the
    chunks are shared out to that many forked processes.

    Rows are positions in ``packed``, each article with its subject in ``subjects``.
    """
    global _shared
    matrix = _without_common_words(tfidf_matrix(packed))
    width = len(packed)
    search = _Search(
        matrix=matrix,
        subjects=np.asarray(subjects),
        eligible=None if eligible is None else np.asarray(eligible, dtype=bool),
        refused=np.sort(np.fromiter((q * width + c for q, cs in (excluded or {}).items() for c in cs), dtype=np.int64)),
        k=k,
    )
    queries = np.asarray(queries, dtype=np.int64)
    chunks = [queries[start : start + CHUNK] for start in range(0, len(queries), CHUNK)]
    if workers > 1 and len(chunks) > 1:
        search.by_column  # noqa: B018 — computed once, before the fork, for every worker
        _shared = search
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_best_in_worker, chunks, chunksize=1)
        finally:
            _shared = None
    else:
        results = map(search.best, chunks)
    found: dict[int, list[int]] = {}
    for rows, neighbours in results:
        for row, neighbour in zip(rows, neighbours, strict=True):
            found.setdefault(row, []).append(neighbour)
    return found
