"""The full-text index: its tables and the triggers that keep it current, per database.

The importer writes with bulk_create, bulk_update, queryset.update() and plain
executemany, so no model signal would see its writes. Database triggers on
qa_question, qa_answer and qa_seo see every write path alike: import, admin
save, bulk actions, deletes, even a raw SQL session.

Both databases get a table named ``qa_search`` whose ``rowid`` is the question id
and whose searchable document is the column named like the table (FTS5 gives that
name to the hidden column that MATCH and bm25() take; PostgreSQL simply uses it,
so one unmanaged model, qa.models.SearchDocument, fits both).

- SQLite: an FTS5 table with the porter stemmer (which also folds diacritics)
  and one column per weighted part. It keeps its own copy of the text, so a
  trigger can drop a row by rowid alone.
- PostgreSQL: the text, with a GIN index on its tsvector, and a small weighted
  "head" vector for ranking (see below). Both use the ``qa_english``
  configuration: english stemming after unaccent, to match SQLite's folding.

Bulk writers (the importer) wrap a batch in :func:`deferred`: inside it the
triggers stand aside and the index is refreshed once per touched question at
the end. Row by row, FTS5 would tokenize a new article's answer three times
(after the question, the answer and the SEO insert) and again to delete each
stale entry.

Migration 0002 calls :func:`install`. A later change to the index ships as a new
migration that calls :func:`install` again: it drops and recreates everything.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

TABLE = "qa_search"
# While this table holds a row the triggers do nothing. Only deferred() writes it, inside a
# transaction that deletes the row again, so no other connection ever sees it.
PAUSE = f"{TABLE}_deferred"
PG_CONFIG = "qa_english"

# Question, title and article title are usually the same sentence; each distinct one counts once.
HEADING_SQL = (
    "q.question"
    " || CASE WHEN q.title <> q.question THEN ' ' || q.title ELSE '' END"
    " || CASE WHEN q.article_title NOT IN ('', q.title, q.question) THEN ' ' || q.article_title ELSE '' END"
)


@dataclass(frozen=True)
class Part:
    column: str  # the FTS5 column on SQLite
    sql: str  # its text, from the question (q), SEO (s) and answer (a) rows
    pg_weight: str  # the tsvector weight letter on PostgreSQL
    bm25_weight: float  # its weight in FTS5's bm25()


# In rank order: the question and its titles above the keywords, the keywords above the answer.
PARTS = (
    Part("heading", HEADING_SQL, "A", 10.0),
    Part("keywords", "coalesce(s.page_keywords, '')", "B", 5.0),
    Part("description", "coalesce(s.page_description, '')", "C", 2.0),
    Part("answer", "coalesce(a.body, '')", "D", 1.0),
)
SOURCE_SQL = (
    "FROM qa_question q LEFT JOIN qa_seo s ON s.question_id = q.id LEFT JOIN qa_answer a ON a.question_id = q.id"
)

# (table, the column naming its question, the columns that feed the index)
WATCHED = (
    ("qa_question", "id", ("question", "title", "article_title")),
    ("qa_answer", "question_id", ("body",)),
    ("qa_seo", "question_id", ("page_keywords", "page_description")),
)
EVENTS = ("insert", "update", "delete")


def _any_differs(columns, *, sqlite):
    inequality = "IS NOT" if sqlite else "IS DISTINCT FROM"
    return " OR ".join(f"OLD.{c} {inequality} NEW.{c}" for c in columns)


# -- SQLite -------------------------------------------------------------------------------

SQLITE_COLUMNS = ", ".join(p.column for p in PARTS)
SQLITE_SELECT = f"SELECT q.id, {', '.join(p.sql for p in PARTS)} {SOURCE_SQL}"


def _sqlite_refresh(keys) -> list[str]:
    # Deleting first makes every refresh idempotent; the SELECT finds nothing once the
    # question itself is gone, which leaves its row deleted.
    return [
        f"DELETE FROM {TABLE} WHERE rowid IN ({keys})",
        f"INSERT INTO {TABLE} (rowid, {SQLITE_COLUMNS}) {SQLITE_SELECT} WHERE q.id IN ({keys})",
    ]


def _sqlite_install():
    statements = [
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5({SQLITE_COLUMNS}, "
        "tokenize = 'porter unicode61 remove_diacritics 2')",
        f"CREATE TABLE {PAUSE} (paused integer NOT NULL)",
    ]
    for table, key, columns in WATCHED:
        for event in EVENTS:
            row = "OLD" if event == "delete" else "NEW"
            when = f"NOT EXISTS (SELECT 1 FROM {PAUSE})"
            if event == "update":
                when += f" AND ({_any_differs(columns, sqlite=True)})"
            of = f"OF {', '.join(columns)}" if event == "update" else ""
            statements.append(
                f"CREATE TRIGGER {TABLE}_{table}_{event} AFTER {event.upper()} {of} ON {table} WHEN {when} "
                f"BEGIN {' '.join(f'{sql};' for sql in _sqlite_refresh(f'{row}.{key}'))} END"
            )
    return statements


def _sqlite_uninstall():
    triggers = [f"DROP TRIGGER IF EXISTS {TABLE}_{table}_{event}" for table, _, _ in WATCHED for event in EVENTS]
    return [*triggers, f"DROP TABLE IF EXISTS {TABLE}", f"DROP TABLE IF EXISTS {PAUSE}"]


def _sqlite_rebuild():
    return [
        f"DELETE FROM {TABLE}",
        f"INSERT INTO {TABLE} (rowid, {SQLITE_COLUMNS}) {SQLITE_SELECT}",
        f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')",
    ]


# -- PostgreSQL ---------------------------------------------------------------------------

# The whole text is matched through a GIN index on its tsvector, computed in the index
# rather than stored: a stored vector of an answer is kilobytes kept compressed out of line,
# and the planner, which counts neither, would scan them all for a common word instead of
# using the index. Matching goes through qa_search_matches(), a function the planner cannot
# unfold into a per-row test, whatever its statistics say (right after a bulk import they
# say the tables are nearly empty). Ranking reads the small stored "head" vector of the
# weighted parts above the answer: ts_rank() on whole vectors would decompress every match.
PG_VECTOR = f"to_tsvector('{PG_CONFIG}'::regconfig, %s)"  # queries must use it verbatim
HEAD_PARTS = [p for p in PARTS if p.pg_weight != "D"]
PG_HEAD = " || ".join(f"setweight(to_tsvector('{PG_CONFIG}', {p.sql}), '{p.pg_weight}')" for p in HEAD_PARTS)
PG_TEXT = " || E'\\n' || ".join(p.sql for p in PARTS)


def _pg_select(where=""):
    """Rows of (question id, head vector, whole text)."""
    return f"SELECT q.id, {PG_HEAD}, {PG_TEXT} {SOURCE_SQL} {where}"


def _pg_install():
    statements = [
        # unaccent is a trusted extension: a database owner may create it.
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english)",
        f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
        f"CREATE TABLE {TABLE} (rowid bigint PRIMARY KEY, head tsvector NOT NULL, {TABLE} text NOT NULL)",
        # ANALYZE samples 300 rows per unit of the largest target and runs to_tsvector() on
        # each for the expression index: 10 keeps that to 3,000 rows, under a second. The plans
        # need little more, as matching always goes through the index (see below).
        f"ALTER TABLE {TABLE} ALTER COLUMN rowid SET STATISTICS 10, ALTER COLUMN head SET STATISTICS 10, "
        f"ALTER COLUMN {TABLE} SET STATISTICS 0",
        f"CREATE TABLE {PAUSE} (paused integer NOT NULL)",
        f"""CREATE FUNCTION {TABLE}_refresh(keys bigint[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {TABLE} (rowid, head, {TABLE}) {_pg_select("WHERE q.id = ANY(keys)")}
            ON CONFLICT (rowid) DO UPDATE SET head = EXCLUDED.head, {TABLE} = EXCLUDED.{TABLE};
            -- the questions that are gone
            DELETE FROM {TABLE} WHERE rowid = ANY(keys) AND NOT EXISTS (SELECT 1 FROM qa_question WHERE id = rowid);
        END $$""",
        # Seq scans would run to_tsvector() on every article; the index is the only sane plan.
        f"""CREATE FUNCTION {TABLE}_matches(query text) RETURNS SETOF bigint
        LANGUAGE sql STABLE ROWS 1000 SET enable_seqscan = off AS $$
            SELECT rowid FROM {TABLE} WHERE {PG_VECTOR % TABLE} @@ to_tsquery('{PG_CONFIG}', query)
        $$""",
        f"""CREATE FUNCTION {TABLE}_head_matches(query text) RETURNS SETOF bigint
        LANGUAGE sql STABLE ROWS 100 SET enable_seqscan = off AS $$
            SELECT rowid FROM {TABLE} WHERE head @@ to_tsquery('{PG_CONFIG}', query)
        $$""",
        # Django's test flush empties tables with TRUNCATE, which fires no row trigger.
        f"""CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE {TABLE};
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {TABLE}_qa_question_truncate AFTER TRUNCATE ON qa_question "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()",
    ]
    for table, key, columns in WATCHED:
        statements.append(
            f"""CREATE FUNCTION {TABLE}_{table}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM {PAUSE}) THEN
                    RETURN NULL;
                ELSIF TG_OP = 'DELETE' THEN
                    PERFORM {TABLE}_refresh(ARRAY[OLD.{key}]);
                ELSE
                    PERFORM {TABLE}_refresh(ARRAY[NEW.{key}]);
                END IF;
                RETURN NULL;
            END $$"""
        )
        for event in EVENTS:
            when = f"WHEN ({_any_differs(columns, sqlite=False)})" if event == "update" else ""
            of = f"OF {', '.join(columns)}" if event == "update" else ""
            statements.append(
                f"CREATE TRIGGER {TABLE}_{table}_{event} AFTER {event.upper()} {of} ON {table} "
                f"FOR EACH ROW {when} EXECUTE FUNCTION {TABLE}_{table}_changed()"
            )
    return statements


def _pg_uninstall():
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_qa_question_truncate ON qa_question",
        *(f"DROP TRIGGER IF EXISTS {TABLE}_{table}_{event} ON {table}" for table, _, _ in WATCHED for event in EVENTS),
        *(f"DROP FUNCTION IF EXISTS {TABLE}_{table}_changed()" for table, _, _ in WATCHED),
        f"DROP FUNCTION IF EXISTS {TABLE}_truncate()",
        f"DROP FUNCTION IF EXISTS {TABLE}_matches(text)",
        f"DROP FUNCTION IF EXISTS {TABLE}_head_matches(text)",
        f"DROP FUNCTION IF EXISTS {TABLE}_refresh(bigint)",  # before migration 0006
        f"DROP FUNCTION IF EXISTS {TABLE}_refresh(bigint[])",
        f"DROP TABLE IF EXISTS {TABLE}",
        f"DROP TABLE IF EXISTS {PAUSE}",
        f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
    ]


def _pg_rebuild():
    # The index is built once over the new rows, far faster than entry by entry.
    return [
        f"DROP INDEX IF EXISTS {TABLE}_document",
        f"DROP INDEX IF EXISTS {TABLE}_head",
        f"TRUNCATE {TABLE}",
        f"INSERT INTO {TABLE} (rowid, head, {TABLE}) {_pg_select()}",
        "SET LOCAL maintenance_work_mem = '256MB'",  # builds the GIN index in memory, in one pass
        # fastupdate off: no pending list of new entries, which every query would scan and
        # recheck (rechecking an expression index means running to_tsvector() again).
        f"CREATE INDEX {TABLE}_document ON {TABLE} USING gin (({PG_VECTOR % TABLE})) WITH (fastupdate = off)",
        f"ALTER INDEX {TABLE}_document ALTER COLUMN 1 SET STATISTICS 10",
        f"CREATE INDEX {TABLE}_head ON {TABLE} USING gin (head) WITH (fastupdate = off)",
        f"ANALYZE {TABLE}",
    ]


# -- Entry points -------------------------------------------------------------------------

STATEMENTS = {
    "sqlite": {"install": _sqlite_install, "uninstall": _sqlite_uninstall, "rebuild": _sqlite_rebuild},
    "postgresql": {"install": _pg_install, "uninstall": _pg_uninstall, "rebuild": _pg_rebuild},
}


def supports(connection) -> bool:
    return connection.vendor in STATEMENTS


def _run(connection, action):
    if not supports(connection):
        return
    with connection.cursor() as cursor:
        for statement in STATEMENTS[connection.vendor][action]():
            cursor.execute(statement)


def install(connection):
    """(Re)create the index table and its triggers, and fill it from the current rows."""
    _run(connection, "uninstall")
    _run(connection, "install")
    _run(connection, "rebuild")


def refresh(connection, question_ids) -> None:
    """Bring the index entries of these questions up to date (and drop those of deleted ones)."""
    if not supports(connection) or not question_ids:
        return
    keys = sorted(question_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {TABLE}_refresh(%s::bigint[])", [keys])
            return
        chunk = max(1, connection.features.max_query_params // 2)
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            placeholders = ", ".join(["%s"] * len(part))
            for statement in _sqlite_refresh(placeholders):
                cursor.execute(statement, part)


@contextmanager
def deferred(connection, *, refresh_at_end=True) -> Iterator[set]:
    """Hold the triggers back for a bulk write and refresh the index once at the end.

    Add the id of every question written inside the block to the yielded set. The block
    runs in a transaction (a savepoint when nested), so an error rolls the pause back
    with everything else. ``refresh_at_end=False`` leaves the index behind, for a bulk
    load that rebuilds it afterwards (see :func:`needs_rebuild`).
    """
    touched: set = set()
    if not supports(connection):
        yield touched
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {PAUSE} (paused) VALUES (1)")
        yield touched
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PAUSE}")
        if refresh_at_end:
            refresh(connection, touched)


def needs_rebuild(connection) -> bool:
    """Whether a bulk load should leave the index alone and rebuild it once at the end.

    True when the index misses questions (a bulk load was cut short before its rebuild), and
    on PostgreSQL when it is empty: a first load into its GIN indexes is far cheaper built
    once than entry by entry. FTS5 takes batches as cheaply as one build (6 s of CPU for the
    36,000-article benchmark either way), and a batch's entries are written while the import's
    workers render the next files, where a build at the end would keep one core idle. The
    triggers keep exactly one entry per question.
    """
    if not supports(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM {TABLE}), (SELECT count(*) FROM qa_question)")
        entries, questions = cursor.fetchone()
    return entries < questions or (entries == 0 and connection.vendor == "postgresql")


def reinstall_migration(apps, schema_editor):
    """RunPython step for a migration that ships a change to the index."""
    install(schema_editor.connection)


def uninstall(connection):
    _run(connection, "uninstall")


def rebuild(connection) -> int:
    """Refill the whole index from the current rows, in one transaction; return how many it holds."""
    with transaction.atomic(using=connection.alias):
        _run(connection, "rebuild")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0]
