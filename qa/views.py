"""Reader pages: /learn, a subject's questions, an article, search. Readers see Question.objects.published()."""
from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from qa import article_page, seo, sitemaps
from qa.models import Question, Subject
from qa.paths import article_path
from qa.search.results import search_questions
from qa.serving import page_cache
from qa.serving.moved import moved_to, permanent_redirect

QUESTIONS_PER_PAGE = 20
RESULTS_PER_PAGE = 20


def can_preview(request) -> bool:
    """Staff who may change questions see drafts and scheduled articles at their own URL.

    Reading request.user loads the session, which makes the response vary on Cookie;
    readers without a session cookie never get that far, so their pages stay cacheable.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return request.user.has_perm("qa.change_question")


def published_counts() -> dict[int, int]:
    """Published questions per subject id."""
    return dict(Question.objects.published().order_by().values_list("subject").annotate(n=Count("pk")))


@require_safe
def learn_index(request):
    counts = published_counts()
    subjects = [s for s in Subject.objects.filter(is_listed=True) if counts.get(s.pk)]
    for subject in subjects:
        subject.question_count = counts[subject.pk]
    total = sum(s.question_count for s in subjects)
    context = {"subjects": subjects, "total": total, "meta": seo.learn_meta(total)}
    return render(request, "qa/learn_index.html", context)


@require_safe
def subject_detail(request, subject):
    subject = get_object_or_404(Subject, slug=subject)
    questions = (
        Question.objects.published()
        .filter(subject=subject)
        .select_related("seo")
        .only("slug", "question", "date", "date_format", "post_on_text", "seo__page_description")
    )
    paginator = Paginator(questions, QUESTIONS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except InvalidPage:
        raise Http404("No such page.") from None
    context = {
        "subject": subject,
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "meta": seo.subject_meta(subject, page, paginator.count),
    }
    return render(request, "qa/subject_detail.html", context)


@require_safe
def question_detail(request, subject, slug):
    """An article: its stored parts in the site's frame (qa.article_page); staff preview drafts."""
    if can_preview(request):
        question = get_object_or_404(Question.objects.select_related("subject", "answer", "seo").at_path(subject, slug))
        context = {"page": article_page.render_page(question), "question": question, "is_preview": not question.is_published()}
        response = render(request, "qa/question_detail.html", context)
        # A staff view (possibly of an unpublished draft) must never land in a shared cache.
        patch_cache_control(response, private=True, no_cache=True, no_store=True)
        return response
    page = article_page.published_page(subject, slug, page_cache.request_knowledge(request))
    if page is None:
        raise Http404("No such article.")
    page_cache.depends_on(request, page.dependencies)
    return HttpResponse(article_page.page_html(page))


@require_safe
def old_site_broken_url(request, subject, target_subject, slug):
    """The old site's ``/learn/<s>/questions/undefined/learn/<s2>/questions/<slug>``: 301 to the article.

    Its pages linked related questions relatively, which made these URLs; search engines know them.
    The article named at the end is where they meant to go, wherever it lives now.
    """
    target = article_path(target_subject, slug)
    if not Question.objects.published().at_path(target_subject, slug).exists():
        target = moved_to(target)
    if not target:
        raise Http404("no such article")
    return permanent_redirect(request, target)


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /search",
        "Disallow: /markdownx/",
        "",
        f"Sitemap: {seo.absolute_url(reverse('qa:sitemap-index'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# The sitemaps (up to 50,000 URLs a file) are cached whole by qa.serving.page_cache.PageCacheMiddleware, like
# every reader page: stale as soon as an article they list changes (qa.serving.changes). A
# cache_page here would set Cache-Control, which makes that middleware pass the response by.


@require_safe
@sitemap_views.x_robots_tag
def sitemap_index(request):
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": sitemaps.index_items()}, content_type="application/xml"
    )


@require_safe
def sitemap_pages(request):
    return sitemap_views.sitemap(request, {"pages": sitemaps.ListingPagesSitemap()}, section="pages")


@require_safe
def sitemap_subject(request, subject):
    sitemap = sitemaps.subject_sitemap(subject)
    if sitemap is None:
        raise Http404("No sitemap for this subject.")
    return sitemap_views.sitemap(request, {subject: sitemap}, section=subject)


def search(request):
    """/search?q=…&subject=…&page=N."""
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
