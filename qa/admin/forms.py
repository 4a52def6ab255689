"""Forms of the editors' admin: the question, its SEO fields and its related articles."""
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from qa.models import MAX_RELATED, SEO, Question, RelatedArticle, Subject
from qa.paths import split_article_path
from qa.related import moved_article_url

SEO_TITLE_MAX = 60
SEO_DESCRIPTION_MIN, SEO_DESCRIPTION_MAX = 50, 160


def article_label(question) -> str:
    """How an article is named in pickers: the question, its subject, and whether it is live."""
    label = f"{question.question[:90]} — {question.subject.title}"
    if not question.is_published():
        label += f" ({question.get_status_display().lower()})"
    return label


def article_at(url):
    """The article a stored link leads to: the one at its path, else where readers are sent
    (qa.related: the one published article with that slug in another subject), or None."""
    for path in (url, moved_article_url(url or "")):
        parts = split_article_path(path or "")
        if parts:
            found = Question.objects.select_related("subject").at_path(*parts).first()
            if found is not None:
                return found
    return None


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "question", "subject", "slug", "status", "publish_at", "no_index", "title", "article_title",
            "date", "author", "date_format", "post_on_text", "score", "source_id", "extra",
        ]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "title": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "article_title": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "slug": forms.TextInput(
                attrs={"class": "vLargeTextField", "autocapitalize": "none", "spellcheck": "false"}
            ),
        }
        help_texts = {
            "title": "Leave empty to use the question.",
            "publish_at": "Leave empty to publish at once when the status is Published; "
            "a future time (status Published) schedules the article.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "title" in self.fields:
            self.fields["title"].required = False
        if "date" in self.fields and not self.instance.pk:
            self.fields["date"].initial = timezone.localdate

    def clean(self):
        cleaned = super().clean()
        if "title" in self.fields and not cleaned.get("title") and cleaned.get("question"):
            cleaned["title"] = cleaned["question"][: Question._meta.get_field("title").max_length]
        subject, slug = cleaned.get("subject", self.instance.subject_id and self.instance.subject), cleaned.get("slug")
        if subject and slug and "slug" not in self.errors:
            taken = Question.objects.filter(subject=subject, slug=slug).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "slug",
                    forms.ValidationError(
                        "%(subject)s already has an article at this address; choose another slug.",
                        code="slug_taken",
                        params={"subject": subject.title},
                    ),
                )
        status = cleaned.get("status", self.instance.status)
        if cleaned.get("publish_at") and status != Question.Status.PUBLISHED:
            self.add_error(
                "publish_at",
                "A publication time only takes effect when the status is Published: "
                "set the status too, or leave the time empty.",
            )
        return cleaned


class SEOForm(forms.ModelForm):
    class Meta:
        model = SEO
        fields = ["title", "page_description", "page_keywords"]
        widgets = {
            "title": forms.TextInput(
                attrs={
                    "class": "vLargeTextField",
                    "data-qa-count-max": SEO_TITLE_MAX,
                    "data-qa-serp": "title",
                    "data-qa-site-name": settings.SITE_NAME,
                }
            ),
            "page_description": forms.Textarea(
                attrs={
                    "rows": 3,
                    "class": "vLargeTextField",
                    "data-qa-count-min": SEO_DESCRIPTION_MIN,
                    "data-qa-count-max": SEO_DESCRIPTION_MAX,
                    "data-qa-serp": "description",
                }
            ),
            "page_keywords": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        }
        help_texts = {
            "title": f"The search result's headline; up to {SEO_TITLE_MAX} characters fit. "
            f"Leave empty (or the generic “{settings.SITE_NAME} | Subject”) "
            f"for “question | subject | {settings.SITE_NAME}”.",
            "page_description": f"The search result's snippet: {SEO_DESCRIPTION_MIN}–{SEO_DESCRIPTION_MAX} characters.",
            "page_keywords": "Comma-separated; the admin search looks in them too.",
        }


class ArticleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return article_label(obj)


class RelatedArticleForm(forms.ModelForm):
    """A related article picked by autocomplete, stored the way the model keeps it: by URL."""

    # The autocomplete endpoint is Django's own; it is keyed to RelatedArticle.question only to
    # reach QuestionAdmin's search (the picked article fills target_url, not that foreign key).
    target = ArticleChoiceField(
        queryset=Question.objects.select_related("subject"),
        required=False,
        label="Article",
        widget=AutocompleteSelect(
            RelatedArticle._meta.get_field("question"), admin.site, attrs={"style": "width: 32em"}
        ),
        help_text="Type a few words of the question.",
    )

    class Meta:
        model = RelatedArticle
        fields = ["position", "target", "target_url", "target_title"]
        widgets = {
            "position": forms.NumberInput(
                attrs={"min": 1, "max": MAX_RELATED, "style": "width: 4em"}
            ),
            "target_url": forms.TextInput(attrs={"style": "width: 22em", "placeholder": "/learn/…/questions/…"}),
            "target_title": forms.TextInput(attrs={"style": "width: 18em"}),
        }
        labels = {"target_url": "or its address", "target_title": "Link text"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_url"].required = False
        self.fields["target_title"].help_text = "Filled from the article when left empty."
        # Empty means "after the others"; the formset numbers the list 1..n when it saves.
        self.fields["position"].required = False
        if not self.instance.pk:
            self.initial["position"] = None
        if self.instance.pk:
            current = article_at(self.instance.target_url)
            if current is not None:
                self.initial["target"] = current.pk

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is not None:
            if "target" in self.changed_data or not cleaned.get("target_url"):
                cleaned["target_url"] = target.get_absolute_url()
            if "target" in self.changed_data or not cleaned.get("target_title"):
                cleaned["target_title"] = target.title or target.question
            self.instance.target_subject = target.subject.title
            self.instance.target_source_id = target.source_id
        elif not cleaned.get("target_url"):
            self.add_error("target", "Pick an article, or enter its address.")
        return cleaned


class RelatedArticleFormSet(BaseInlineFormSet):
    """At most five links, each to another article, once; saved in the order of their positions."""

    def _live_forms(self):
        deleted = set(self.deleted_forms) if self.can_delete else set()
        return [
            form
            for form in self.forms
            if form not in deleted and (form.instance.pk or form.has_changed()) and hasattr(form, "cleaned_data")
        ]

    def clean(self):
        super().clean()
        seen = set()
        for form in self._live_forms():
            target, url = form.cleaned_data.get("target"), form.cleaned_data.get("target_url")
            if self.instance.pk and (
                (target is not None and target.pk == self.instance.pk) or url == self.instance.get_absolute_url()
            ):
                form.add_error("target", "An article cannot be related to itself.")
            elif url and url in seen:
                form.add_error("target", "This article is already in the list.")
            seen.add(url)

    def save(self, commit=True):
        instances = super().save(commit=False)
        if not commit or not self.has_changed():
            return instances
        # (question, position) is unique, so two links cannot swap places one UPDATE at a time:
        # write the list afresh, numbered 1..n in the order of the positions given.
        ordered = sorted(
            enumerate(self._live_forms()), key=lambda item: (item[1].cleaned_data.get("position") or 99, item[0])
        )
        with transaction.atomic():
            RelatedArticle.objects.filter(question=self.instance).delete()
            for position, (_, form) in enumerate(ordered, start=1):
                link = form.instance
                link.pk, link._state.adding = None, True
                link.question, link.position = self.instance, position
                link.save()
        return instances


class MoveToSubjectForm(forms.Form):
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.all(),
        label="Move to",
        help_text="Live articles get a 301 redirect from their old address.",
    )
