"""Content health: what needs an editor's attention, by category, for the admin page and
``manage.py content_report``.

    report = content_report()      # list of Category, in the order editors read them
    report_json(report)            # {key: {"count": n, "items": [{"url": ..., ...}]}}

Every category is computed from a handful of whole-table reads (a few columns each) and sets
and dicts in Python, never a query per article: at 36,000 articles the whole report takes
about a second on either database (bench/bench_content_report.py).
"""
import html
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.contrib.redirects.models import Redirect
from django.db.models import Q
from django.db.models.functions import Length, Substr
from django.urls import reverse
from django.utils import timezone

from qa.admin.forms import SEO_DESCRIPTION_MAX, SEO_DESCRIPTION_MIN, SEO_TITLE_MAX
from qa.models import SEO, Answer, Question, RelatedArticle, Subject
from qa.nonanswers import is_non_answer
from qa.paths import article_path, split_article_path, subject_path
from qa.rendering.math import FALLBACK_CLASS

# A non-answer says so in its opening; the report reads only this much of each answer.
NON_ANSWER_OPENING = 2000
_FALLBACK = re.compile(rf'<code class="{FALLBACK_CLASS}">(.*?)</code>', re.DOTALL)


@dataclass
class Item:
    url: str  # the article's address (for a redirect: its old path)
    change_url: str  # where an editor fixes it
    title: str = ""  # the question, or what the redirect is
    detail: str = ""  # what is wrong, in a few words
    others: list[dict] = field(default_factory=list)  # other articles involved: {"url", "change_url"}
    formulas: list[str] = field(default_factory=list)  # the refused formulas' LaTeX


@dataclass
class Category:
    key: str
    title: str
    description: str
    items: list[Item]

    @property
    def count(self) -> int:
        return len(self.items)


class _Articles:
    """Every article's address, status and question, read once."""

    def __init__(self):
        now = timezone.now()
        self.rows = {}
        self.at_path = {}
        self.published_by_slug = defaultdict(list)
        rows = Question.objects.order_by("pk").values_list(
            "pk", "subject__slug", "slug", "status", "publish_at", "no_index", "question", "source_id"
        )
        for pk, subject, slug, status, publish_at, no_index, text, source_id in rows:
            published = status == Question.Status.PUBLISHED and (publish_at is None or publish_at <= now)
            path = article_path(subject, slug)
            self.rows[pk] = (path, published, no_index, text, source_id, status)
            self.at_path[path] = pk
            if published:
                self.published_by_slug[slug].append(pk)
        # reverse() once: the change form's URL with a stand-in id.
        self._change = reverse("admin:qa_question_change", args=[0]).replace("/0/", "/{}/")

    def change_url(self, pk) -> str:
        return self._change.format(pk)

    def item(self, pk, detail="", **extra) -> Item:
        path, _, _, text, _, _ = self.rows[pk]
        return Item(url=path, change_url=self.change_url(pk), title=text, detail=detail, **extra)

    def published(self, pk) -> bool:
        return self.rows[pk][1]

    def moved(self, path) -> int | None:
        """The one published article with this path's slug under another subject (qa.related)."""
        parts = split_article_path(path)
        if parts is None:
            return None
        others = [pk for pk in self.published_by_slug.get(parts[1], []) if self.rows[pk][0] != path]
        return others[0] if len(others) == 1 else None


def _math_errors(articles: _Articles) -> list[Item]:
    items = []
    refused = Answer.objects.filter(html__contains=f'<code class="{FALLBACK_CLASS}">').order_by("question_id")
    for pk, rendered in refused.values_list("question_id", "html"):
        formulas = [html.unescape(f) for f in _FALLBACK.findall(rendered)]
        items.append(articles.item(pk, detail=f"{len(formulas)} refused", formulas=formulas))
    return items


def _non_answers(articles: _Articles) -> list[Item]:
    openings = Answer.objects.order_by("question_id").values_list("question_id", Substr("body", 1, NON_ANSWER_OPENING))
    items = []
    for pk, opening in openings:
        if is_non_answer(opening):
            no_index = articles.rows[pk][2]
            items.append(articles.item(pk, detail="marked no_index" if no_index else "indexable: set no_index"))
    return items


def _related(articles: _Articles, redirects: dict[str, str]) -> dict[str, list[Item]]:
    found = {"dead": [], "self": [], "hidden": [], "redirected": []}
    linked = set()
    links = RelatedArticle.objects.order_by("question_id", "position").values_list("question_id", "target_url")
    for pk, target in links:
        linked.add(pk)
        own = articles.rows[pk][0]
        target_pk = articles.at_path.get(target)
        if target == own or target_pk == pk:
            found["self"].append(articles.item(pk, detail=target))
        elif target_pk is not None:
            _, published, no_index, *_ = articles.rows[target_pk]
            if not published or no_index:
                why = "not published" if not published else "no_index"
                found["hidden"].append(articles.item(pk, detail=f"{target} ({why})"))
        elif target in redirects:
            found["redirected"].append(articles.item(pk, detail=f"{target} → {redirects[target] or '(gone)'}"))
        elif (moved := articles.moved(target)) is not None:
            if moved == pk:
                found["self"].append(articles.item(pk, detail=f"{target} (moved here)"))
            else:
                found["redirected"].append(articles.item(pk, detail=f"{target} → {articles.rows[moved][0]} (moved)"))
        else:
            found["dead"].append(articles.item(pk, detail=target))
    found["none"] = [articles.item(pk) for pk in articles.rows if pk not in linked]
    return found


def _redirects(articles: _Articles, rows) -> dict[str, list[Item]]:
    redirects = {old: new for _, old, new in rows}
    subjects = {subject_path(slug) for slug in Subject.objects.values_list("slug", flat=True)}
    change = reverse("admin:redirects_redirect_change", args=[0]).replace("/0/", "/{}/")
    found = {"chains": [], "loops": [], "gone": []}
    for pk, old, new in rows:
        item = Item(url=old, change_url=change.format(pk), title=f"{old} → {new}")
        if not new:
            continue  # an empty target answers 410 Gone on purpose
        if new in redirects:
            seen, hop = [old], new
            while hop in redirects and hop not in seen:
                seen.append(hop)
                hop = redirects[hop]
            if hop in seen:
                item.detail = "loop: " + " → ".join([*seen, hop])
                found["loops"].append(item)
            else:
                item.detail = f"{len(seen)} hops: " + " → ".join([*seen, hop])
                found["chains"].append(item)
            continue
        target_pk = articles.at_path.get(new)
        if split_article_path(new) is not None and (target_pk is None or not articles.published(target_pk)):
            item.detail = f"{new}: no published article"
            found["gone"].append(item)
        elif new.startswith("/learn/") and new.count("/") == 3 and new.endswith("/") and new not in subjects:
            item.detail = f"{new}: no such subject"
            found["gone"].append(item)
    return found


def _seo(articles: _Articles) -> dict[str, list[Item]]:
    lengths = SEO.objects.annotate(title_length=Length("title"), description_length=Length("page_description"))
    title = lengths.filter(title_length__gt=SEO_TITLE_MAX).order_by("question_id")
    description = lengths.filter(
        Q(description_length__lt=SEO_DESCRIPTION_MIN) | Q(description_length__gt=SEO_DESCRIPTION_MAX)
    ).order_by("question_id")
    return {
        "title": [
            articles.item(pk, detail=f"{n} characters: {text}")
            for pk, n, text in title.values_list("question_id", "title_length", "title")
        ],
        "description": [
            articles.item(pk, detail=f"{n} characters" + (": empty" if not n else ""))
            for pk, n in description.values_list("question_id", "description_length")
        ],
    }


def _cross_listed(articles: _Articles) -> dict[str, list[Item]]:
    by_id, by_slug = defaultdict(list), defaultdict(list)
    for pk, (path, published, _, _, source_id, _) in articles.rows.items():
        if published:
            if source_id is not None:
                by_id[source_id].append(pk)
            by_slug[split_article_path(path)[1]].append(pk)

    def groups(grouped, label):
        items = []
        for key, pks in grouped.items():
            if len(pks) > 1:
                first, *rest = pks
                urls = [articles.rows[pk][0] for pk in pks]
                others = [{"url": articles.rows[pk][0], "change_url": articles.change_url(pk)} for pk in rest]
                items.append(articles.item(first, detail=f"{label} {key}: " + ", ".join(urls), others=others))
        return items

    return {"id": groups(by_id, "seed id"), "slug": groups(by_slug, "slug")}


def content_report() -> list[Category]:
    """Every category, with all its items (the admin page and the command paginate or print)."""
    articles = _Articles()
    redirect_rows = list(Redirect.objects.order_by("old_path").values_list("pk", "old_path", "new_path"))
    related = _related(articles, {old: new for _, old, new in redirect_rows})
    redirects = _redirects(articles, redirect_rows)
    seo = _seo(articles)
    cross = _cross_listed(articles)
    title_max, low, high = SEO_TITLE_MAX, SEO_DESCRIPTION_MIN, SEO_DESCRIPTION_MAX
    return [
        Category("math_errors", "Formulas that cannot be typeset",
                 "KaTeX refused these formulas; readers see their LaTeX source.", _math_errors(articles)),
        Category("non_answers", "Non-answers",
                 "Answers that only say the question cannot be answered.", _non_answers(articles)),
        Category("related_dead", "Related links to nothing",
                 "No article, redirect or moved article at the linked address; readers do not see the link.",
                 related["dead"]),
        Category("related_self", "Related links to the article itself", "Readers do not see them.", related["self"]),
        Category("related_hidden", "Related links to unpublished or no_index articles",
                 "Unpublished targets are not shown; no_index ones are shown but kept out of search engines.",
                 related["hidden"]),
        Category("related_redirected", "Related links through a redirect",
                 "They work, with a detour: link the current address.", related["redirected"]),
        Category("no_related_links", "Articles without any related link",
                 "Readers see no related questions at the end of the article.", related["none"]),
        Category("redirect_chains", "Redirect chains", "A redirect to an address that redirects again.",
                 redirects["chains"]),
        Category("redirect_loops", "Redirect loops", "Redirects that lead back to where they started.",
                 redirects["loops"]),
        Category("redirect_targets_gone", "Redirects to nothing",
                 "The target address has no published article (or subject).", redirects["gone"]),
        Category("seo_title_too_long", f"SEO titles over {title_max} characters",
                 "Search engines cut them.", seo["title"]),
        Category("seo_description_out_of_range", f"Meta descriptions outside {low}–{high} characters",
                 "Too short says little; too long is cut.", seo["description"]),
        Category("cross_listed_by_id", "One question published in two subjects (same seed id)",
                 "The same seed id is live at several addresses.", cross["id"]),
        Category("cross_listed_by_slug", "One question published in two subjects (same slug)",
                 "The same file name is live under several subjects.", cross["slug"]),
    ]


def report_json(report: list[Category]) -> dict:
    """The report as one object: each category a key holding ``count`` and ``items``."""
    return {
        category.key: {
            "title": category.title,
            "count": category.count,
            "items": [{k: v for k, v in asdict(item).items() if v or k == "url"} for item in category.items],
        }
        for category in report
    }
