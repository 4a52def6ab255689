"""The two full-text backends, SQLite FTS5 and PostgreSQL, behind one interface: match and rank."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import NotSupportedError, connections
from django.db.models import F, FloatField, Func, Lookup, Value
from django.db.models.expressions import RawSQL

from qa.models import SearchDocument
from qa.search import index
from qa.search.query import QuerySyntax


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
