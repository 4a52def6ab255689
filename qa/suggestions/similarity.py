"""Which articles are alike: TF-IDF cosine over the words of their question, SEO keywords and
description, an article of the same subject counting a little more.

Words are lowercased, stop words dropped and plurals folded; each is hashed into one of 2**20
columns (CRC-32: the same in the import's worker processes and in the admin) and counted with
the weight of the part it came from. :func:`pack` turns an article's counts into the bytes that
``ArticleTerms`` stores; :func:`nearest` builds the TF-IDF matrix of every candidate from those
bytes and finds each query's neighbours, a few thousand rows at a time.

Two cuts keep 36,000 articles to about a second (bench/bench_suggestions.py measures what they
cost in recall): words in more than 5% of the articles take no part in the comparison, and an
article looks for neighbours through its ten heaviest words only.
"""
import re
import zlib
from collections.abc import Sequence

import numpy as np
from scipy import sparse

COLUMNS = 2**20
# (the part, its weight): the question says what the article is about, the keywords list its topics.
PART_WEIGHTS = (2.0, 1.0, 0.5)  # question, keywords, description
SAME_SUBJECT_BOOST = 0.3
MAX_DOCUMENT_FREQUENCY = 0.05  # of the articles, and never fewer than COMMON_FLOOR
COMMON_FLOOR = 100  # so that in a small site no word is "common"
QUERY_TERMS = 10
CHUNK = 4096

WORD = re.compile(r"[^\W_]{2,}")
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our out over own same she should so some such than that the
    their them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours
    explores discusses content overview understanding importance role significance""".split()
)

_columns: dict[str, int] = {}


def _fold(word: str) -> str:
    """Plural to singular, cheaply: "cells" and "cell", "theories" and "theory" are one word."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _column(word: str) -> int:
    column = _columns.get(word)
    if column is None:
        column = _columns[word] = zlib.crc32(_fold(word).encode()) % COLUMNS
    return column


def pack(question: str, keywords: str, description: str) -> bytes:
    """An article's weighted word counts: its columns (int32) followed by their counts (float32)."""
    counts: dict[int, float] = {}
    for text, weight in zip((question, keywords, description), PART_WEIGHTS, strict=True):
        for word in WORD.findall(text.lower()):
            if word not in STOP_WORDS:
                column = _column(word)
                counts[column] = counts.get(column, 0.0) + weight
    columns = np.fromiter(counts, dtype=np.int32, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    return columns.tobytes() + values.tobytes()


def _unpack(packed: bytes) -> tuple[np.ndarray, np.ndarray]:
    half = len(packed) // 2
    return np.frombuffer(packed, np.int32, count=half // 4), np.frombuffer(packed, np.float32, offset=half)


def tfidf_matrix(packed: Sequence[bytes]) -> sparse.csr_matrix:
    """One row per article: sublinear counts times smoothed IDF, of unit length."""
    parts = [_unpack(bytes(p)) for p in packed]
    lengths = np.fromiter((len(c) for c, _ in parts), dtype=np.int64, count=len(parts))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    columns = np.concatenate([c for c, _ in parts]) if parts else np.empty(0, np.int32)
    values = np.concatenate([v for _, v in parts]) if parts else np.empty(0, np.float32)
    matrix = sparse.csr_matrix((np.log1p(values), columns, indptr), shape=(len(parts), COLUMNS))
    frequency = np.bincount(columns, minlength=COLUMNS)
    idf = (np.log((1 + len(parts)) / (1 + frequency)) + 1).astype(np.float32)
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
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
    """Each row's ``count`` largest entries (ties at the cut kept)."""
    heavy = matrix.copy()
    for row in np.flatnonzero(np.diff(heavy.indptr) > count):
        values = heavy.data[heavy.indptr[row] : heavy.indptr[row + 1]]
        values[values < np.partition(values, len(values) - count)[len(values) - count]] = 0
    heavy.eliminate_zeros()
    return heavy


def nearest(
    packed: Sequence[bytes],
    subjects: Sequence[int],
    queries: Sequence[int],
    excluded: dict[int, set[int]] | None = None,
    eligible: Sequence[bool] | None = None,
    k: int = 5,
) -> dict[int, list[int]]:
    """For each row in ``queries``, up to ``k`` other rows, most alike first: ``eligible`` ones
    (all when None), none of its ``excluded``.

    Rows are positions in ``packed``, each article with its subject in ``subjects``.
    """
    matrix = _without_common_words(tfidf_matrix(packed))
    by_column = matrix.T.tocsr()
    subjects = np.asarray(subjects)
    queries = np.asarray(queries, dtype=np.int64)
    eligible = None if eligible is None else np.asarray(eligible, dtype=bool)
    # Each (query, candidate) pair as one number, to drop the excluded ones with one isin().
    width = len(packed)
    refused = np.fromiter(
        (q * width + c for q, cs in (excluded or {}).items() for c in cs), dtype=np.int64
    )
    found: dict[int, list[int]] = {}
    for start in range(0, len(queries), CHUNK):
        rows = queries[start : start + CHUNK]
        scores = (_heaviest(matrix[rows], QUERY_TERMS) @ by_column).tocoo()
        position, candidate = scores.row.astype(np.int64), scores.col.astype(np.int64)
        query = rows[position]
        score = np.where(subjects[candidate] == subjects[query], scores.data * (1 + SAME_SUBJECT_BOOST), scores.data)
        keep = (candidate != query) & ~np.isin(query * width + candidate, refused)
        if eligible is not None:
            keep &= eligible[candidate]
        position, candidate, score = position[keep], candidate[keep], score[keep]
        # Best first within each query: one sort on (the query's position, minus the score).
        order = np.argsort(position * 4.0 - score, kind="stable")
        position, candidate = position[order], candidate[order]
        rank = np.arange(len(position)) - np.searchsorted(position, position)
        for row, neighbour in zip(rows[position[rank < k]].tolist(), candidate[rank < k].tolist(), strict=True):
            found.setdefault(row, []).append(neighbour)
    return found
