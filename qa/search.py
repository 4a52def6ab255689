"""Full-text search of questions: one interface over SQLite FTS5 and PostgreSQL.

    results = search_questions("how do plants photosynthesize", subject="biology")
    results.questions       # a ranked QuerySet of published questions, ready for a Paginator
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
(weights in qa/search_index.py).
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import NotSupportedError, connections
from django.db.models import BooleanField, Case, F, FloatField, Func, Lookup, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from qa import search_index
from qa.models import Question, SearchDocument

MAX_QUERY_CHARS = 200
MAX_WORDS = 16
PREFIX_MIN_CHARS = 4
ALTERNATIVE_MIN_CHARS = 5
SNIPPET_WORDS = 36

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
    @staticmethod
    def expression(query: ParsedQuery, all_terms: bool) -> str:
        # Each word is letters and digits only, so inside double quotes it is a plain string to FTS5.
        groups = []
        for term in query.terms:
            options = [f'"{term.word}"' + ("*" if term.prefix else ""), *(f'"{a}"' for a in term.alternatives)]
            groups.append(f"({' OR '.join(options)})" if len(options) > 1 else options[0])
        return (" AND " if all_terms else " OR ").join(groups)

    def condition(self, query, all_terms, path=DOCUMENT):
        return Q(**{f"{path}__fts5_match": self.expression(query, all_terms)})

    def rank(self, query, all_terms):
        # bm25() is lower for better matches; negated, higher is better on both backends.
        weights = [Value(p.bm25_weight) for p in search_index.PARTS]
        return Func(
            F(DOCUMENT), *weights,
            function="bm25", template="(-%(function)s(%(expressions)s))", output_field=FloatField(),
        )


class PostgresBackend:
    # ts_rank() takes the weights of D, C, B and A, between 0 and 1.
    WEIGHTS = [
        next(p.bm25_weight for p in search_index.PARTS if p.pg_weight == letter) / search_index.PARTS[0].bm25_weight
        for letter in "DCBA"
    ]

    @staticmethod
    def search_query(query: ParsedQuery, all_terms: bool) -> SearchQuery:
        # Quoted lexemes: to_tsquery() stems each and drops any that normalise to nothing.
        groups = []
        for term in query.terms:
            options = [f"'{term.word}'" + (":*" if term.prefix else ""), *(f"'{a}'" for a in term.alternatives)]
            groups.append(f"({' | '.join(options)})" if len(options) > 1 else options[0])
        raw = (" & " if all_terms else " | ").join(groups)
        return SearchQuery(raw, search_type="raw", config=search_index.PG_CONFIG)

    def condition(self, query, all_terms, path=DOCUMENT):
        return Q(**{path: self.search_query(query, all_terms)})

    def rank(self, query, all_terms):
        return SearchRank(F(DOCUMENT), self.search_query(query, all_terms), weights=self.WEIGHTS)


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
    entries = SearchDocument.objects.using(queryset.db).filter(backend.condition(query, all_terms, path="document"))
    return queryset.filter(pk__in=entries.values("question_id"))


class SearchResults:
    """Ranked search results; a Paginator takes them as they are.

    Counting uses :func:`matching`, pages use the ranked join, which both databases
    plan from the full-text index outwards.
    """

    def __init__(self, query: ParsedQuery, questions, matched=None, all_terms=True):
        self.query = query
        self.questions = questions  # ranked QuerySet of Question, annotated with search_rank
        self.all_terms = all_terms  # False when no article had every word and any word was enough
        self._matched = questions if matched is None else matched

    def count(self) -> int:
        return self._matched.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        return self.questions[index]

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
        return SearchResults(parsed, questions.none())

    backend = backend_for(questions.db)
    all_terms = True
    matched = matching(questions, backend, parsed, all_terms)
    if len(parsed.terms) > 1 and not matched.exists():
        all_terms = False
        matched = matching(questions, backend, parsed, all_terms)
    ranked = (
        questions.filter(backend.condition(parsed, all_terms))
        .annotate(search_rank=backend.rank(parsed, all_terms), search_exact=_is_the_question(parsed.text))
        .select_related("subject", "answer", "seo")
        .defer("answer__html")
        .order_by("-search_exact", "-search_rank", "-date", "-pk")
    )
    return SearchResults(parsed, ranked, matched, all_terms)


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

_markdown = MarkdownIt("commonmark", {"html": False})
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def plain_text(markdown: str) -> str:
    """The words of a Markdown text, without its markup."""
    parts = []
    for token in _markdown.parse(markdown or ""):
        if token.type == "inline":
            parts.extend(child.content or " " for child in token.children)
        elif token.type in ("code_block", "fence"):
            parts.append(token.content)
        parts.append(" ")
    return " ".join("".join(parts).split())


class Highlighter:
    """Marks the words of a text that the query matched, escaping everything else."""

    def __init__(self, query: ParsedQuery):
        # (stem, matches longer stems too) per term, mirroring the database's prefix matching
        self.terms = [
            [(stem(t.word), t.prefix), *((stem(a), False) for a in t.alternatives)] for t in query.terms
        ]

    @classmethod
    @lru_cache(maxsize=64)
    def for_query(cls, query: ParsedQuery) -> "Highlighter":
        return cls(query)

    def term_of(self, word: str):
        """The index of the query term that ``word`` matches, or None."""
        word_stem = stem(fold(word))
        for index, options in enumerate(self.terms):
            for term_stem, prefix in options:
                if word_stem == term_stem or (prefix and word_stem.startswith(term_stem)):
                    return index
        return None

    def highlight(self, text: str) -> str:
        out, position = [], 0
        for match in WORD.finditer(text):
            if self.term_of(match.group()) is not None:
                out.append(escape(text[position : match.start()]))
                out.append(f"<mark>{escape(match.group())}</mark>")
                position = match.end()
        out.append(escape(text[position:]))
        return mark_safe("".join(out))

    def best_window(self, text: str):
        """(distinct terms matched, start, end) of the best SNIPPET_WORDS-word passage of ``text``."""
        words = list(WORD.finditer(text))
        hits = [(i, t) for i, w in enumerate(words) if (t := self.term_of(w.group())) is not None]
        best = (0, 0, min(len(words), SNIPPET_WORDS))
        for first, _ in hits:
            start = max(0, first - 4)
            end = min(len(words), start + SNIPPET_WORDS)
            found = len({t for i, t in hits if start <= i < end})
            if found > best[0]:
                best = (found, start, end)
        if not words:
            return 0, 0, 0
        found, start, end = best
        return found, words[start].start(), words[end - 1].end() if end else 0

    def snippet(self, question) -> str:
        """The passage of the answer (or failing that, the description) that matches the most words."""
        answer = getattr(question, "answer", None)
        seo = getattr(question, "seo", None)
        answer_text = plain_text(answer.body) if answer else ""
        description = seo.page_description if seo else ""
        scored = [(self.best_window(text), text) for text in (answer_text, description) if text]
        if not scored:
            return ""
        (found, start, end), text = max(scored, key=lambda item: item[0][0])
        if not found and description:  # nothing to show matched: the summary reads best
            (found, start, end), text = scored[-1]
        passage = self.highlight(text[start:end])
        return mark_safe(("… " if start else "") + passage + (" …" if end < len(text) else ""))
