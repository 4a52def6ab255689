"""QuickTakes CMS: subjects and questions in the Django admin.

The admin stays declarative; what edits do beyond their rows (redirects, bulk work) lives in
qa/admin/editorial.py, history diffs in qa/admin/history.py, the answer editor in qa/admin/widgets.py and qa/admin/editor_views.py,
the check against overwriting another editor's save in qa/admin/edit_guard.py, who else is editing in qa/admin/presence.py.
"""
import functools

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, TextField
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin

from qa import article_page, nonanswers
from qa.admin import editorial, history, suggestions
from qa.admin.edit_guard import EditGuardMixin
from qa.admin.forms import (
    MoveToSubjectForm,
    QuestionForm,
    RelatedArticleForm,
    RelatedArticleFormSet,
    SEOForm,
    article_label,
)
from qa.admin.paginators import CachedCountPaginator
from qa.admin.presence import EditingPresenceMixin
from qa.admin.widgets import AnswerEditorWidget
from qa.models import MAX_RELATED, SEO, Answer, Question, RelatedArticle, Subject
from qa.rendering.markdown import MAX_ANSWER_CHARS
from qa.search import results
from qa.serving import changes
from qa.suggestions import store as suggestion_store

# Set on the request by revision_view: a revert writes the old version to the database before
# the form is saved, so save_model can no longer read where the article was.
LOCATION_BEFORE = "_qa_location_before"


def counted(count, singular, plural):
    return ngettext(singular, plural, count) % {"count": count}


def articles(count):
    return counted(count, "%(count)d article", "%(count)d articles")


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_listed", "position", "article_count"]
    list_editable = ["is_listed", "position"]
    list_display_links = ["title"]
    search_fields = ["title", "slug"]
    fields = ["title", "slug", "is_listed", "position"]
    ordering = ["position", "title"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("questions"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, subject):
        url = reverse("admin:qa_question_changelist") + f"?subject__id__exact={subject.pk}"
        return format_html('<a href="{}">{}</a>', url, subject.article_count)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["slug"].help_text = (
                "Changing it moves the subject page and every live article in it; "
                "the old addresses redirect to the new ones (301)."
            )
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "slug" in form.changed_data:
            count = editorial.redirect_subject_rename(obj, form.initial["slug"])
            self.message_user(
                request, f"The subject moved to {obj.get_absolute_url()}; {count} old addresses now redirect there."
            )

    def view_on_site(self, obj):
        # Relative: contenttypes' shortcut would prefix the Site's domain, which may be a placeholder.
        return obj.get_absolute_url()


class AnswerInline(admin.StackedInline):
    model = Answer
    fields = ["body"]
    # The renderer's limit (qa.rendering.markdown): a longer answer is refused with the form's message.
    formfield_overrides = {TextField: {"widget": AnswerEditorWidget, "max_length": MAX_ANSWER_CHARS}}
    min_num = max_num = 1
    can_delete = False
    verbose_name = verbose_name_plural = "answer"


class SEOInline(admin.StackedInline):
    model = SEO
    form = SEOForm
    max_num = 1
    can_delete = False
    verbose_name = verbose_name_plural = "search engines (SEO)"

    class Media:
        css = {"all": ["qa/admin/seo.css"]}
        js = ["qa/admin/seo.js"]


class RelatedArticleInline(admin.TabularInline):
    model = RelatedArticle
    form = RelatedArticleForm
    formset = RelatedArticleFormSet
    extra = 1
    max_num = MAX_RELATED
    ordering = ["position"]
    verbose_name = "related article"
    verbose_name_plural = f"related articles (at most {MAX_RELATED}, in this order)"

    def get_formset(self, request, obj=None, **kwargs):
        # max_num alone only limits the rows the page offers; validate_max refuses a sixth on save.
        return super().get_formset(request, obj, validate_max=True, **kwargs)


@admin.register(Question)
class QuestionAdmin(EditGuardMixin, EditingPresenceMixin, VersionAdmin):
    """Articles. EditGuardMixin refuses a save (or revert) of an article that changed since its form
    was loaded; EditingPresenceMixin tells an editor who else has it open."""

    form = QuestionForm
    inlines = [AnswerInline, SEOInline, RelatedArticleInline]
    fieldsets = [
        (None, {"fields": ["question", ("subject", "slug")]}),
        ("Publishing", {"fields": [("status", "publish_at"), "visibility", "no_index"]}),
        (
            "Page details",
            {
                "classes": ["collapse"],
                "fields": ["title", "article_title", ("date", "author"), ("date_format", "post_on_text"), "score"],
            },
        ),
        (
            "Source",
            {
                "classes": ["collapse"],
                "fields": [("source_id", "source_missing"), "extra", ("created_at", "updated_at")],
            },
        ),
    ]
    readonly_fields = ["visibility", "source_missing", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["question"]}

    # The list: fast at 36,000 articles (bench/bench_admin.py).
    list_display = ["question_text", "subject", "status_badge", "date", "updated_at"]
    list_filter = ["subject", "status", "no_index", "date"]
    search_fields = ["question", "title", "seo__page_keywords"]
    search_help_text = "Searches the question, the title, the SEO keywords and the answer, like the site's search."
    list_per_page = 50
    show_full_result_count = False  # no second COUNT over the whole table
    paginator = CachedCountPaginator

    actions = ["publish", "unpublish", "set_no_index", "clear_no_index", "move_to_subject"]
    object_history_template = "admin/qa/question/object_history.html"
    history_latest_first = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subject")

    def get_search_results(self, request, queryset, search_term):
        # The site's full-text index, drafts included, instead of LIKE over 36,000 rows.
        return results.admin_search(queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields += ["status", "publish_at"]
        return fields

    def has_publish_permission(self, request):
        return request.user.has_perm("qa.publish_question")

    def view_on_site(self, obj):
        # The stored address: after a refused save the form's instance holds the unsaved values.
        stored = editorial.Location.stored(obj.pk)
        return stored.path if stored else None

    def autocomplete_label(self, obj):
        return article_label(obj)

    # -- the list ----------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        # VersionAdmin wraps the list in a revision block for list_editable saves: a transaction
        # that on SQLite takes the write lock for every page view. This list edits nothing in
        # place, and the bulk actions open their own transactions.
        context = {"has_change_permission": self.has_change_permission(request), **(extra_context or {})}
        return admin.ModelAdmin.changelist_view(self, request, context)

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        # The same markup as ModelAdmin.action_checkbox, without a template render per row
        # (about half of a 50-row page's Python time).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            f"Select this object for an action - {obj}",
        )

    @admin.display(description="question", ordering="question")
    def question_text(self, obj):
        return Truncator(obj.question).chars(110)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        key, text = self._visibility(obj)
        return format_html('<span class="qa-status qa-status--{}">{}</span>', key, text)

    @admin.display(description="visible to readers")
    def visibility(self, obj):
        key, _ = self._visibility(obj)
        when = obj.publish_at and date_format(timezone.localtime(obj.publish_at), "DATETIME_FORMAT")
        return {
            "live": "Yes, at its address." + (f" Published {when}." if when else ""),
            "scheduled": f"Not yet: it goes live on {when}.",
            "draft": "No: a draft. Staff can preview it.",
            "unpublished": "No: unpublished. Its address answers 404.",
        }[key]

    @staticmethod
    def _visibility(obj):
        if obj.status == Question.Status.PUBLISHED:
            return ("live", "Live") if obj.is_published() else ("scheduled", "Scheduled")
        return obj.status, obj.get_status_display()

    # -- saving ------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_change_permission(request, obj):
                # Before the editor's own revision block opens, or the two would merge.
                history.ensure_initial_version(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            setattr(request, LOCATION_BEFORE, editorial.Location.stored(unquote(object_id)))
        return super().revision_view(request, object_id, version_id, extra_context)

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        # reversion reverts the whole revision, and an import's revision holds a whole batch of
        # articles: put back only this one (reversion calls version.revision.revert(delete=True)).
        # Without the publish permission the article keeps its status and schedule.
        revision, may_publish = version.revision, self.has_publish_permission(request)
        revision.revert = functools.partial(
            history.revert_article, revision, version.object_id, may_publish=may_publish
        )
        extra_context = {"publishing_kept": history.publishing_kept(version, may_publish), **(extra_context or {})}
        return super()._reversion_revisionform_view(request, version, template_name, extra_context)

    def save_model(self, request, obj, form, change):
        before = getattr(request, LOCATION_BEFORE, None) or (editorial.Location.stored(obj.pk) if change else None)
        super().save_model(request, obj, form, change)
        redirect = editorial.redirect_if_moved(before, obj)
        if redirect is not None:
            self.message_user(request, f"The old address {redirect.old_path} now redirects here (301).")

    def get_urls(self):
        return suggestions.urls(self) + super().get_urls()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        suggestion_store.refresh_article(form.instance)
        if form.has_changed() or any(formset.has_changed() for formset in formsets):
            # What readers see changed (dateModified, sitemaps, feeds); a save that changed nothing does not count.
            form.instance.content_changed_at = timezone.now()
            Question.objects.filter(pk=form.instance.pk).update(content_changed_at=form.instance.content_changed_at)
        # Readers' next request finds the page's parts already rendered (qa.article_page).
        pk = form.instance.pk
        transaction.on_commit(lambda: article_page.render_and_store(pk, changes.current()))
        if nonanswers.mark_no_index(form.instance):
            self.message_user(
                request,
                "This answer declines to answer (“I cannot answer this question based on…”), so the article "
                "is now marked “no index”: search engines are asked not to list it. Untick it once it answers.",
                messages.WARNING,
            )

    # -- history -----------------------------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if obj is not None:
            context["history"] = history.article_history(obj)
            context["bulk_changes"] = LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Question),
                object_id=str(obj.pk),
                change_message__startswith=editorial.BULK_LOG_PREFIX,
            ).select_related("user")
            context["imported_comment"] = history.IMPORTED_COMMENT
        return super().history_view(request, object_id, context)

    # -- bulk actions ------------------------------------------------------------------------

    def _bulk(self, request, queryset, change, done, rest=("already was", "already were")):
        """Run ``change(queryset)`` and say how many articles changed and how many did not."""
        selected = queryset.count()  # before the change: it may take rows out of a filtered list
        count = change(queryset)
        text = f"{articles(count).capitalize()} {done}."
        if selected > count:
            text += " " + counted(selected - count, f"%(count)d article {rest[0]}.", f"%(count)d articles {rest[1]}.")
        self.message_user(request, text, messages.SUCCESS if count else messages.INFO)

    @admin.action(description="Publish selected articles now", permissions=["publish"])
    def publish(self, request, queryset):
        self._bulk(request, queryset, lambda qs: editorial.publish(qs, request.user), "published")

    @admin.action(description="Unpublish selected articles", permissions=["publish"])
    def unpublish(self, request, queryset):
        change = lambda qs: editorial.unpublish(qs, request.user)  # noqa: E731
        self._bulk(request, queryset, change, "unpublished", rest=("was not published", "were not published"))

    @admin.action(description="Ask search engines not to index (set no_index)", permissions=["change"])
    def set_no_index(self, request, queryset):
        self._bulk(request, queryset, lambda qs: editorial.set_no_index(qs, True, request.user), "set to no_index")

    @admin.action(description="Let search engines index (clear no_index)", permissions=["change"])
    def clear_no_index(self, request, queryset):
        change = lambda qs: editorial.set_no_index(qs, False, request.user)  # noqa: E731
        self._bulk(request, queryset, change, "cleared of no_index")

    @admin.action(description="Move selected articles to another subject…", permissions=["change"])
    def move_to_subject(self, request, queryset):
        form = MoveToSubjectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            subject = form.cleaned_data["subject"]
            report = editorial.move_to_subject(queryset, subject, request.user)
            text = f"{articles(report.moved).capitalize()} moved to {subject.title}"
            if report.redirects:
                text += "; " + counted(
                    report.redirects,
                    "%(count)d live article redirects from its old address.",
                    "%(count)d live articles redirect from their old addresses.",
                )
            else:
                text += "."
            self.message_user(request, text, messages.SUCCESS if report.moved else messages.INFO)
            if report.conflicts:
                self.message_user(
                    request,
                    counted(
                        len(report.conflicts),
                        "%(count)d article stayed where it was",
                        "%(count)d articles stayed where they were",
                    )
                    + f": {subject.title} already has an article with the same slug ("
                    + ", ".join(q.slug for q in report.conflicts[:10])
                    + (", …" if len(report.conflicts) > 10 else "")
                    + ").",
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Move articles to another subject",
            "opts": self.model._meta,
            "form": form,
            "count": queryset.count(),
            "sample": queryset.select_related("subject")[:10],
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/qa/question/move_to_subject.html", context)
