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

Modules: ``query`` (what the reader typed, as words), ``backends`` (FTS5 and tsquery),
``results`` (ranked results and the admin's search box), ``highlight`` (snippets with <mark>),
``index`` (the index's tables and triggers).
"""
