"""The reader's search page: /search?q=…&subject=…&page=N."""
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import render

from qa import seo
from qa.models import Subject
from qa.search import search_questions

RESULTS_PER_PAGE = 20


def search(request):
    subjects = list(Subject.objects.filter(is_listed=True))
    subject = request.GET.get("subject", "")
    if subject not in {s.slug for s in subjects}:
        subject = ""  # an unknown or unlisted subject filters nothing
    results = search_questions(request.GET.get("q", ""), subject=subject or None)
    context = {
        "query": results.query, "subjects": subjects, "subject": subject,
        "all_terms": results.all_terms, "more_than_shown": results.more_than_shown,
        "meta": seo.search_meta(results.query.text),
    }
    if results.query.terms:
        try:
            page = Paginator(results, RESULTS_PER_PAGE).page(request.GET.get("page") or 1)
        except InvalidPage:
            raise Http404("No such page of results.") from None
        context["page_obj"] = page
        context["hits"] = [
            {"question": q, "title": results.highlight(q.question), "snippet": results.snippet(q)}
            for q in page.object_list
        ]
    return render(request, "qa/search.html", context)
