"""An article's terms: the words of its question, SEO keywords and description, lowercased,
stop words dropped and plurals folded, each hashed into one of COLUMNS columns (CRC-32: the same
in the import's worker processes and in the admin) and counted with the weight of its part.

:func:`pack` gives the bytes that ``ArticleTerms`` stores and qa.suggestions.similarity reads.
Plain Python: the import's workers and every process that saves an article import this, not numpy.
"""
import re
import struct
import zlib

COLUMNS = 2**20
# The question says what the article is about, the keywords list its topics.
PART_WEIGHTS = (2.0, 1.0, 0.5)  # question, keywords, description

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


def _new_column(word: str) -> int:
    column = _columns[word] = zlib.crc32(_fold(word).encode()) % COLUMNS
    return column


def pack(question: str, keywords: str, description: str) -> bytes:
    """An article's weighted word counts, as little-endian (int32 column, float32 count) pairs."""
    counts: dict[int, float] = {}
    for text, weight in zip((question, keywords, description), PART_WEIGHTS, strict=True):
        for word in WORD.findall(text.lower()):
            column = _columns.get(word)
            if column is None:
                if word in STOP_WORDS:
                    continue
                column = _new_column(word)
            counts[column] = counts.get(column, 0.0) + weight
    return struct.pack(f"<{'if' * len(counts)}", *(value for pair in counts.items() for value in pair))
