"""A canonical snapshot of every article in a database, to compare two databases field for field.

``article_snapshot`` is plain SQL over a DB-API cursor, so it reads the test database (through
Django's cursor) and a SQLite file another process wrote (through sqlite3) alike. Articles are
keyed by their url, never by primary keys or timestamps, which differ between two imports of the
same files.
"""
import json

ARTICLES = """
    SELECT s.slug AS subject, q.slug, q.title, q.article_title, q.question, q.date, q.author,
           q.source_id, q.score, q.no_index, q.date_format, q.post_on_text, q.status, q.publish_at,
           q.source_missing, q.extra, q.source_hash,
           a.body AS answer_body, a.html AS answer_html,
           seo.title AS seo_title, seo.page_description AS seo_description, seo.page_keywords AS seo_keywords
    FROM qa_question q
    JOIN qa_subject s ON s.id = q.subject_id
    LEFT JOIN qa_answer a ON a.question_id = q.id
    LEFT JOIN qa_seo seo ON seo.question_id = q.id
"""
RELATED = """
    SELECT s.slug, q.slug, r.position, r.target_url, r.target_title, r.target_subject, r.target_source_id
    FROM qa_relatedarticle r
    JOIN qa_question q ON q.id = r.question_id
    JOIN qa_subject s ON s.id = q.subject_id
    ORDER BY s.slug, q.slug, r.position
"""


def _rows(cursor, sql):
    cursor.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def article_snapshot(cursor, *, with_hash=True) -> dict:
    """{"articles": {url: fields}, "subjects": {slug: fields}, "redirects": [(old, new)]}."""
    articles = {}
    for row in _rows(cursor, ARTICLES):
        url = f"/learn/{row.pop('subject')}/questions/{row.pop('slug')}"
        if isinstance(row["extra"], str):  # SQLite hands JSON back as text
            row["extra"] = json.loads(row["extra"])
        row["date"] = str(row["date"])
        row["no_index"], row["source_missing"] = bool(row["no_index"]), bool(row["source_missing"])
        if not with_hash:
            del row["source_hash"]
        row["related"] = []
        articles[url] = row
    cursor.execute(RELATED)
    for subject, slug, *link in cursor.fetchall():
        articles[f"/learn/{subject}/questions/{slug}"]["related"].append(tuple(link))
    subjects = {
        row.pop("slug"): {**row, "is_listed": bool(row["is_listed"])}
        for row in _rows(cursor, "SELECT slug, title, is_listed, position FROM qa_subject")
    }
    cursor.execute("SELECT old_path, new_path FROM django_redirect ORDER BY old_path")
    return {"articles": articles, "subjects": subjects, "redirects": [tuple(r) for r in cursor.fetchall()]}
