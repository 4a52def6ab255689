"""What the reader typed, as a query: plain words, their stems and alternatives, and each
backend's syntax for them. Nothing typed is ever handed to a query parser (see qa.search)."""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

MAX_QUERY_CHARS = 200
MAX_WORDS = 16
PREFIX_MIN_CHARS = 4
ALTERNATIVE_MIN_CHARS = 5

# PostgreSQL's english stop words (tsearch_data/english.stop), so both backends drop the same words.
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each few more most other
    some such no nor not only own same so than too very s t can will just don should now""".split()
)

# Latin and Greek plural endings and their singulars, both ways: (ending, the other ending).
ALTERNATE_ENDINGS = (
    ("ia", "ium"), ("ium", "ia"),  # bacteria, equilibria
    ("a", "um"), ("um", "a"),  # data, curricula
    ("a", "on"), ("on", "a"),  # phenomena, criteria
    ("ae", "a"), ("a", "ae"),  # larvae, formulae
    ("i", "us"), ("us", "i"),  # nuclei, fungi
    ("ices", "ix"), ("ices", "ex"), ("ix", "ices"), ("ex", "ices"),  # matrices, indices
    ("es", "is"), ("is", "es"),  # hypotheses, analyses
)

# Letters and digits; "_" and everything else separate words, as in FTS5's unicode61 tokenizer.
WORD = re.compile(r"[^\W_]+")
POSSESSIVE = re.compile(r"['’]s\b")


def fold(text: str) -> str:
    """Lower case without diacritics ("Schrödinger" → "schrodinger"), as both indexes fold."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


# -- The reader's query, as plain words ---------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str
    alternatives: tuple[str, ...] = ()

    @property
    def prefix(self) -> bool:
        return len(self.word) >= PREFIX_MIN_CHARS and not self.word.isdigit()


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what the reader typed, cut and with its spaces collapsed
    terms: tuple[Term, ...]  # the words that search, without common words

    @property
    def only_common_words(self) -> bool:
        return bool(self.text) and not self.terms


def alternatives(word: str) -> tuple[str, ...]:
    if len(word) < ALTERNATIVE_MIN_CHARS or word.isdigit():
        return ()
    found = []
    for ending, other in ALTERNATE_ENDINGS:
        if word.endswith(ending):
            candidate = word[: -len(ending)] + other
            if candidate not in found and candidate != word:
                found.append(candidate)
    return tuple(found)


def parse_query(raw) -> ParsedQuery:
    text = unicodedata.normalize("NFKC", str(raw or ""))[:MAX_QUERY_CHARS]
    # Control and format characters (NUL among them) would only reach the page that echoes the query.
    text = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())
    words = []
    for word in WORD.findall(POSSESSIVE.sub("", fold(text))):
        if word not in STOPWORDS and word not in words:
            words.append(word)
    return ParsedQuery(text, tuple(Term(w, alternatives(w)) for w in words[:MAX_WORDS]))


# -- Backends -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuerySyntax:
    """How a backend's full-text query language writes words, prefixes, "any of" and "all of"."""

    quote: str
    prefix: str
    any_of: str
    all_of: str

    def write(self, query: ParsedQuery, all_terms: bool) -> str:
        """Each term (or one of its alternative forms), all of them or any of them."""
        groups = []
        for term in query.terms:
            options = [
                f"{self.quote}{term.word}{self.quote}" + (self.prefix if term.prefix else ""),
                *(f"{self.quote}{a}{self.quote}" for a in term.alternatives),
            ]
            groups.append(f"({self.any_of.join(options)})" if len(options) > 1 else options[0])
        return (self.all_of if all_terms else self.any_of).join(groups)


_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)

