"""Searching questions: ranked, paginated results for readers, and the admin's search box."""
from functools import cached_property

from django.db.models import BooleanField, Case, Prefetch, Q, Value, When

from qa.models import SEO, Answer, Question
from qa.search.backends import backend_for, matching
from qa.search.highlight import Highlighter
from qa.search.query import ParsedQuery, parse_query

MAX_RESULTS = 1000  # 50 pages; counting further would cost more than anyone reads


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
