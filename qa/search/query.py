"""Full-text search of questions: one interface over SQLite FTS5 and PostgreSQL.

    results = search_questions("how do plants photosynthesize", subject="biology")
    Paginator(results, 20)  # ranked published questions, with .search_rank; results.count()
    results.snippet(q)      # the answer passage around the matched words, with <mark>
    admin_search(queryset, term)  # for ModelAdmin.get_search_results

What the reader typed is never handed to a query parser. It is cut to a sane
length and split into plain words; the backend query is built from those words
alone, so quotes, ``*``, ``-``, NEAR, OR, parentheses, ``:`` or SQL mean nothing
special. Common words are dropped, as PostgreSQL's english configuration does.
Every word must match; when no article has them all, any word may match, and
the articles matching the most words come first.

Word forms: both backends stem ("cells" finds "cell"), and words of four or more
letters match as prefixes of their stem, so "photosynthesizing" (stem
"photosynthes") finds "photosynthesis" (stem "photosynthesi"). Latin and Greek
plurals, which stemmers leave apart, are looked up both ways ("equilibria" and
"equilibrium").

Ranking: a query equal to an article's question puts it first; then the backend's
rank (bm25 on SQLite, ts_rank on PostgreSQL) with the question and titles weighed
above the keywords, the keywords above the description, that above the answer
(weights in qa/search/index.py).
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import NotSupportedError, connections
from django.db.models import BooleanField, Case, F, FloatField, Func, Lookup, Prefetch, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from qa.models import SEO, Answer, Question, SearchDocument
from qa.search import index

MAX_QUERY_CHARS = 200
MAX_RESULTS = 1000  # 50 pages; counting further would cost more than anyone reads
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


class Fts5Match(Lookup):
    """``document MATCH <fts5 query>``, on the FTS5 table's hidden whole-row column."""

    lookup_name = "fts5_match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


SearchDocument._meta.get_field("document").register_lookup(Fts5Match)


DOCUMENT = "search_document__document"  # from Question to its index entry


class Fts5Backend:
    # Each word is letters and digits only, so inside double quotes it is a plain string to FTS5.
    SYNTAX = QuerySyntax(quote='"', prefix="*", any_of=" OR ", all_of=" AND ")

    def ids(self, query, all_terms):
        """A subquery of the matching question ids."""
        entries = SearchDocument.objects.filter(document__fts5_match=self.SYNTAX.write(query, all_terms))
        return entries.values("question_id")

    def segments(self, queryset, query, all_terms):
        """The ranked results, as querysets to read one after the other (here, one)."""
        return [self.ranked(queryset, query, all_terms)]

    def ranked(self, queryset, query, all_terms):
        """``queryset`` joined to its matching index entries, with ``search_rank`` (higher is better)."""
        matched = queryset.filter(**{f"{DOCUMENT}__fts5_match": self.SYNTAX.write(query, all_terms)})
        # bm25() is lower for better matches, and needs the MATCH in the same query.
        weights = [Value(p.bm25_weight) for p in index.PARTS]
        rank = Func(
            F(DOCUMENT), *weights,
            function="bm25", template="(-%(function)s(%(expressions)s))", output_field=FloatField(),
        )
        return matched.annotate(search_rank=rank)


class PostgresBackend:
    # ts_rank() takes the weights of D, C, B and A, between 0 and 1.
    WEIGHTS = [
        next(p.bm25_weight for p in index.PARTS if p.pg_weight == letter) / index.PARTS[0].bm25_weight
        for letter in "DCBA"
    ]
    HEAD = "search_document__head"  # the ranked parts; see qa/search/index.py

    # Quoted lexemes: to_tsquery() stems each and drops any that normalise to nothing.
    SYNTAX = QuerySyntax(quote="'", prefix=":*", any_of=" | ", all_of=" & ")

    def ids(self, query, all_terms, function="matches"):
        """A subquery of the matching question ids: in the whole text, or in the ``head_matches``."""
        return RawSQL(f"SELECT * FROM {index.TABLE}_{function}(%s)", [self.SYNTAX.write(query, all_terms)])

    def segments(self, queryset, query, all_terms):
        """Articles with the words in their question, keywords or description, by rank; then the
        articles with them in the answer only, newest first.

        Two reads rather than one ordering: a common word is in half the answers, and ranking
        every one of those would cost ten times what the page needs.
        """
        search_query = SearchQuery(self.SYNTAX.write(query, all_terms), search_type="raw", config=index.PG_CONFIG)
        in_head = self.ids(query, all_terms, function="head_matches")
        ranked = queryset.filter(pk__in=in_head).annotate(
            search_rank=SearchRank(F(self.HEAD), search_query, weights=self.WEIGHTS)
        )
        rest = (
            queryset.filter(pk__in=self.ids(query, all_terms))
            .exclude(pk__in=in_head)
            .annotate(search_rank=Value(0.0, output_field=FloatField()))
        )
        return [ranked, rest]


def backend_for(alias):
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return Fts5Backend()
    if vendor == "postgresql":
        return PostgresBackend()
    raise NotSupportedError(f"full-text search needs SQLite or PostgreSQL, not {vendor}")


# -- Searching ----------------------------------------------------------------------------


def matching(queryset, backend, query, all_terms=True):
    """``queryset`` narrowed to the questions whose index entry matches, without ranking.

    ``id IN (SELECT rowid FROM the index WHERE it matches)`` rather than a join: without
    table statistics SQLite would otherwise walk the status index and probe the FTS
    table once per question (seconds at 36,000 articles, against milliseconds).
    """
    return queryset.filter(pk__in=backend.ids(query, all_terms))


class SearchResults:
    """Ranked search results, which a Paginator takes as they are.

    Counting uses :func:`matching`. The results are read from one or more ranked querysets
    in turn (see the backends' ``segments``); slicing reads only what the slice needs.
    """

    def __init__(self, query: ParsedQuery, segments=(), matched=None, all_terms=True):
        self.query = query
        self.segments = list(segments)  # ranked querysets of Question, annotated with search_rank
        self.all_terms = all_terms  # False when no article had every word and any word was enough
        self._matched = matched
        self._sizes = {}

    @cached_property
    def _found(self) -> int:
        """How many match, counted up to one past MAX_RESULTS."""
        if self._matched is None:
            return 0
        return self._matched.order_by().values("pk")[: MAX_RESULTS + 1].count()

    def count(self) -> int:
        """How many results there are to page through: all of them, up to MAX_RESULTS."""
        return min(self._found, MAX_RESULTS)

    @property
    def more_than_shown(self) -> bool:
        return self._found > MAX_RESULTS

    def __len__(self):
        return self.count()

    def _size(self, index):
        if index not in self._sizes:
            self._sizes[index] = self.segments[index].order_by().values("pk")[: MAX_RESULTS + 1].count()
        return self._sizes[index]

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError("no such search result")
            return found[0]
        if index.step or (index.start or 0) < 0 or (index.stop is not None and index.stop < 0):
            raise ValueError("search results take plain non-negative slices")
        start, stop = index.start or 0, min(MAX_RESULTS, MAX_RESULTS if index.stop is None else index.stop)
        found, offset = [], 0  # offset: where the current segment begins in the whole
        for number, segment in enumerate(self.segments):
            last = number == len(self.segments) - 1
            begin = max(0, start - offset)
            known = self._sizes.get(number)
            if not last and known is not None and begin >= known:
                offset += known
                continue
            rows = list(segment[begin : stop - offset])
            found.extend(rows)
            if last or len(found) == stop - start:
                break
            # A short read: the segment has ended, and its size is known without counting,
            # unless the slice began past its end.
            if rows or begin == 0:
                self._sizes[number] = begin + len(rows)
            offset += self._size(number)
        return found

    def __iter__(self):
        return iter(self[0:])

    def highlight(self, text: str) -> str:
        return Highlighter.for_query(self.query).highlight(text)

    def snippet(self, question) -> str:
        return Highlighter.for_query(self.query).snippet(question)


def search_questions(query, *, subject=None, queryset=None) -> SearchResults:
    """Rank the questions readers may see (or ``queryset``) against what the reader typed.

    ``subject`` is a Subject or its slug. The ranked questions carry ``search_rank``
    and their subject, answer and SEO rows for the snippet.
    """
    parsed = parse_query(query)
    questions = Question.objects.published() if queryset is None else queryset
    if subject is not None:
        questions = questions.filter(**{"subject__slug" if isinstance(subject, str) else "subject": subject})
    if not parsed.terms:
        return SearchResults(parsed)

    backend = backend_for(questions.db)
    all_terms = True
    matched = matching(questions, backend, parsed, all_terms)
    if len(parsed.terms) > 1 and not matched.exists():
        all_terms = False
        matched = matching(questions, backend, parsed, all_terms)
    segments = [
        segment.annotate(search_exact=_is_the_question(parsed.text))
        .select_related("subject")
        # Fetched for the page alone: a join would carry every match's answer into the sort.
        .prefetch_related(
            Prefetch("answer", Answer.objects.only("question_id", "body")),
            Prefetch("seo", SEO.objects.only("question_id", "page_description")),
        )
        .order_by("-search_exact", "-search_rank", "-date", "-pk")
        for segment in backend.segments(questions, parsed, all_terms)
    ]
    return SearchResults(parsed, segments, matched, all_terms)


def _is_the_question(text):
    text = text.rstrip("?!. ")
    if not text:
        return Value(False)
    return Case(
        When(Q(question__iexact=text) | Q(question__iexact=f"{text}?"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def admin_search(queryset, term):
    """For ModelAdmin.get_search_results: ``(questions matching every word, may_have_duplicates)``.

    Drafts and unpublished articles are found too: the index holds every question. A
    term of common words only finds questions that contain it as typed.
    """
    parsed = parse_query(term)
    if not parsed.text:
        return queryset, False
    if not parsed.terms:
        return queryset.filter(question__icontains=parsed.text), False
    return matching(queryset, backend_for(queryset.db), parsed), False


# -- Snippets -----------------------------------------------------------------------------
#
# Built in Python from plain text, the same way for both databases: everything is
# escaped and only the <mark> tags added here are markup.

# Markdown marks that would read as noise in a one-line passage. Approximate on purpose:
# a full Markdown parse of every answer on the page would cost more than the search.
MARKUP = re.compile(
    r"!?\[([^\]\n]*)\]\([^)\n]*\)"  # links and images: their text stays
    r"|^[ \t]*(?:#{1,6}|>|[-+*]|\d+[.)])[ \t]+"  # heading, quote and list markers
    r"|```[^\n]*|\*\*|__|[*`|]",  # code fences, emphasis, code and table marks
    re.MULTILINE,
)
SNIPPET_CHARS = 260  # of raw Markdown; the marks go after
SNIPPET_LEAD = 60  # characters of context before the first matched word
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def plain_text(markdown: str) -> str:
    """The words of a Markdown text, without its marks, on one line."""
    return " ".join(MARKUP.sub(lambda m: m.group(1) or "", markdown or "").split())


class _FoldTable(dict):
    """A str.translate() table that learns each character's fold on first sight."""

    def __missing__(self, codepoint):
        char = chr(codepoint)
        self[codepoint] = folded = (fold(char) or char)[0]
        return folded


_FOLD_TABLE = _FoldTable()


def fold_same_length(text: str) -> str:
    """:func:`fold`, one character for one, so positions in the result hold in ``text``."""
    return text.translate(_FOLD_TABLE)


class Highlighter:
    """Finds and marks the words of a text that the query matched, escaping everything else."""

    def __init__(self, query: ParsedQuery):
        # Per term: (stem, whether longer stems match too), mirroring the database's prefix matching.
        self.terms = [
            [(stem(t.word), t.prefix), *((stem(a), False) for a in t.alternatives)] for t in query.terms
        ]
        # Only words that begin like a stem are worth stemming; less its last letter, as
        # "happi" is the stem of "happy".
        roots = {s if len(s) <= 3 else s[:-1] for options in self.terms for s, _ in options if s}
        pattern = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
        self.candidates = re.compile(rf"\b(?:{pattern})\w*") if roots else None

    @classmethod
    @lru_cache(maxsize=64)
    def for_query(cls, query: ParsedQuery) -> "Highlighter":
        return cls(query)

    def term_of(self, word: str):
        """The index of the query term that ``word`` (folded) matches, or None."""
        word_stem = stem(word)
        for position, options in enumerate(self.terms):
            for term_stem, prefix in options:
                if word_stem == term_stem or (prefix and word_stem.startswith(term_stem)):
                    return position
        return None

    def hits(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, term index) of every matched word in ``text``."""
        if self.candidates is None:
            return []
        found = []
        for match in self.candidates.finditer(fold_same_length(text)):
            term = self.term_of(match.group())
            if term is not None:
                found.append((match.start(), match.end(), term))
        return found

    def highlight(self, text: str) -> str:
        out, position = [], 0
        for start, end, _ in self.hits(text):
            out.append(f"{escape(text[position:start])}<mark>{escape(text[start:end])}</mark>")
            position = end
        out.append(escape(text[position:]))
        return mark_safe("".join(out))

    @staticmethod
    def best_passage(text, hits):
        """(distinct terms, start, end) of the SNIPPET_CHARS passage of ``text`` with the most terms."""
        best = (0, 0, SNIPPET_CHARS)
        for first, _, _ in hits[:100]:
            start = max(0, first - SNIPPET_LEAD)
            found = len({term for s, e, term in hits if start <= s and e <= start + SNIPPET_CHARS})
            if found > best[0]:
                best = (found, start, start + SNIPPET_CHARS)
        found, start, end = best
        # Whole words only; a passage that reaches either end of the text takes it all.
        if start and not text[start - 1].isspace():
            start = text.find(" ", start) + 1 or start
        if end >= len(text):
            end = len(text)
        elif (space := text.rfind(" ", start, end)) > start:
            end = space
        return found, start, end

    def snippet(self, question) -> str:
        """The passage of the answer (or, matching more words, the description) around the matched words."""
        answer = getattr(question, "answer", None)
        seo = getattr(question, "seo", None)
        candidates = []
        # The passage is chosen in the raw Markdown; only that passage loses its marks.
        for text in (answer.body if answer else "", seo.page_description if seo else ""):
            if text:
                candidates.append((*self.best_passage(text, self.hits(text)), text))
        if not candidates:
            return ""
        best = max(candidates, key=lambda candidate: candidate[0])  # the answer wins a tie
        if not best[0]:
            best = candidates[-1]  # no word matched: the description, when there is one, sums up best
        _, start, end, text = best
        passage = self.highlight(plain_text(text[start:end]))
        return mark_safe(("… " if start else "") + passage + (" …" if end < len(text) else ""))
