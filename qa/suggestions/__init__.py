"""Suggested related articles: which articles are alike (similarity), and their rows in the
database, computed at import and on an editor's save, accepted or hidden by editors (store).
Readers see them through qa.related.related_cards."""
