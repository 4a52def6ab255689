"""Snippets and highlighting: the matched words of a result marked up with <mark>."""
import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import mark_safe

from qa.search.query import ParsedQuery, fold, stem

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
