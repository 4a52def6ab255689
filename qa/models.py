"""The content model: subjects, questions with their answer and SEO fields, related links."""
import reversion
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qa.paths import SLUG, article_path, subject_path

# "$" as the field validators have always been written (a migration holds the pattern).
slug_validator = RegexValidator(
    rf"^{SLUG}$",
    "Use lowercase letters, digits and hyphens only (for example “how-do-cells-divide”).",
    code="invalid_slug",
)


class Subject(models.Model):
    slug = models.CharField(
        "slug",
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text="The URL segment: /learn/<slug>/. Lowercase letters, digits and hyphens.",
    )
    title = models.CharField("title", max_length=200, help_text="Shown to readers, e.g. “History of the World”.")
    is_listed = models.BooleanField(
        "listed",
        default=True,
        help_text="Listed subjects appear on /learn and are open to search engines; "
        "unlisted ones stay reachable but are marked noindex.",
    )
    position = models.PositiveIntegerField("position", default=0, help_text="Order on /learn (lowest first).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return subject_path(self.slug)


def published_q(now) -> Q:
    """What readers may see: published, and its publication time has come."""
    return Q(status=Question.Status.PUBLISHED) & (Q(publish_at__isnull=True) | Q(publish_at__lte=now))


class QuestionQuerySet(models.QuerySet):
    def published(self, now=None):
        """What readers may see (:func:`published_q`)."""
        return self.filter(published_q(now or timezone.now()))

    def indexable(self):
        """Published pages that search engines may index."""
        return self.published().filter(no_index=False, subject__is_listed=True)

    def at_path(self, subject_slug, slug):
        return self.filter(subject__slug=subject_slug, slug=slug)


class Question(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="questions")
    slug = models.CharField(
        "slug",
        max_length=255,
        validators=[slug_validator],
        help_text="The last URL segment. Lowercase letters, digits and hyphens; unique within the subject.",
    )
    title = models.CharField("title", max_length=500, help_text="The seed's title, usually the question.")
    article_title = models.CharField("article title", max_length=500, blank=True)
    question = models.TextField("question", help_text="The student's question, shown as the page heading.")
    date = models.DateField("date", help_text="The posting date shown to readers.")
    author = models.CharField("author", max_length=200, blank=True, default="QuickTakes")
    source_id = models.BigIntegerField(
        "source id", null=True, blank=True, db_index=True,
        help_text="The seed's id. Not unique: one question can be cross-listed in two subjects.",
    )
    score = models.FloatField("score", null=True, blank=True)
    no_index = models.BooleanField("no index", default=False, help_text="Ask search engines not to index this page.")
    date_format = models.CharField("date format", max_length=50, default="MMM DD, YYYY", help_text="Moment-style, e.g. “MMM DD, YYYY”.")
    post_on_text = models.CharField("posted-on text", max_length=100, default="Posted on", blank=True)
    status = models.CharField("status", max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    publish_at = models.DateTimeField(
        "publish at", null=True, blank=True,
        help_text="Leave empty to publish at once; a future time schedules the article.",
    )
    source_missing = models.BooleanField(
        default=False, editable=False,
        help_text="Set when a --sync import no longer found the seed file.",
    )
    extra = models.JSONField(
        "extra front matter", default=dict, blank=True,
        help_text="Every front-matter key without a field of its own, kept verbatim.",
    )
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # When what readers see last changed (dateModified, article:modified_time, sitemap lastmod, the
    # feeds' updated): the seed's date on a first import, then the import of a changed file, an
    # editor's save that changed something, or a revert. Never a mere write of the row.
    # (Nullable in the database only so that SQLite could add the column in place; always set.)
    content_changed_at = models.DateTimeField("content changed", default=timezone.now, null=True, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        get_latest_by = "updated_at"
        constraints = [
            models.UniqueConstraint(fields=["subject", "slug"], name="unique_question_slug_per_subject"),
        ]
        indexes = [
            models.Index(fields=["subject", "status", "-date"], name="question_subject_listing"),
            # Related links and moved URLs look a slug up across every subject.
            models.Index(fields=["slug", "status"], name="question_slug"),
            # The admin's list (and any "newest first" across subjects) without sorting 36,000 rows.
            models.Index(fields=["-date", "-id"], name="question_date_listing"),
        ]
        permissions = [("publish_question", "Can publish, schedule and unpublish questions")]

    def __str__(self):
        return self.question[:100]

    def get_absolute_url(self):
        return article_path(self.subject.slug, self.slug)

    @property
    def path(self):
        return self.get_absolute_url()

    def is_published(self, now=None):
        now = now or timezone.now()
        return self.status == self.Status.PUBLISHED and (self.publish_at is None or self.publish_at <= now)

    is_published.boolean = True


class Answer(models.Model):
    question = models.OneToOneField(Question, on_delete=models.CASCADE, primary_key=True, related_name="answer")
    body = models.TextField("answer", help_text="Markdown with LaTeX math: $…$, $$…$$, \\(…\\), \\[…\\].")
    html = models.TextField("rendered HTML", blank=True, editable=False)

    def __str__(self):
        return f"Answer to {self.question_id}"

    def save(self, *args, **kwargs):
        from qa.rendering.markdown import render_markdown

        self.html = render_markdown(self.body)
        super().save(*args, **kwargs)


class SEO(models.Model):
    question = models.OneToOneField(Question, on_delete=models.CASCADE, primary_key=True, related_name="seo")
    title = models.CharField("SEO title", max_length=300, blank=True, help_text="Up to 60 characters is best.")
    page_description = models.TextField("meta description", blank=True, help_text="50–160 characters is best.")
    page_keywords = models.TextField("meta keywords", blank=True, help_text="Comma-separated.")

    class Meta:
        verbose_name = "SEO"
        verbose_name_plural = "SEO"

    def __str__(self):
        return self.title


# How many related articles an article may declare (related_article1..5 in a seed file).
MAX_RELATED = 5


class RelatedArticle(models.Model):
    """A declared link to another article, kept by URL so it resolves once the target exists."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="related_links")
    position = models.PositiveSmallIntegerField(default=1)
    target_url = models.CharField("target URL", max_length=400)
    target_title = models.CharField("target title", max_length=500, blank=True)
    target_subject = models.CharField("target subject", max_length=200, blank=True)
    target_source_id = models.BigIntegerField("target source id", null=True, blank=True)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="unique_related_position"),
            models.CheckConstraint(condition=Q(position__gte=1, position__lte=MAX_RELATED), name="related_position_1_to_5"),
        ]

    def __str__(self):
        return self.target_url


class SuggestedRelated(models.Model):
    """A related article computed from the text (qa.suggestions), shown after the declared links.

    ``hidden`` is an editor's no: the row stays, so that no recomputation suggests it again.
    """

    # No index of its own: the unique constraint's index starts with it.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="suggestions", db_index=False)
    target = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="suggested_for")
    rank = models.PositiveSmallIntegerField(default=1)
    hidden = models.BooleanField("hidden", default=False, help_text="An editor said no: never suggested again.")

    class Meta:
        ordering = ["question", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["question", "target"], name="unique_suggested_target"),
        ]

    def __str__(self):
        return f"{self.question_id} → {self.target_id}"


class ArticleTerms(models.Model):
    """An article's weighted terms as qa.suggestions.terms packs them: what suggestions are
    computed from, kept so that one article's save compares it with the rest without re-reading them."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, primary_key=True, related_name="terms")
    terms = models.BinaryField()

    class Meta:
        verbose_name_plural = "article terms"

    def __str__(self):
        return f"Terms of {self.question_id}"


# Revisions follow the whole article: its answer, SEO fields and related links.
reversion.register(Answer)
reversion.register(SEO)
reversion.register(RelatedArticle)
reversion.register(Question, follow=["answer", "seo", "related_links"])


class EditingSession(models.Model):
    """An editor with an article's change form open: the "also editing" notice (qa/admin/presence.py).

    One row per article, user and browser session, refreshed by the page's ping; a row not seen for
    a couple of minutes is stale and is deleted by the next ping.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="editing_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user", "session_key"], name="unique_editing_session"),
        ]

    def __str__(self):
        return f"{self.user} editing {self.question_id} since {self.started_at:%H:%M}"


def _fresh_version():
    # Milliseconds since the epoch: a re-created row never reuses a version whose pages are still cached.
    return int(timezone.now().timestamp() * 1000)


class ContentVersion(models.Model):
    """One row: the sequence of content changes (see qa.serving.changes).

    ``version`` is the number of the last change; taking the next one locks the row, so changes
    commit in the order of their numbers. It lives in the database, not the cache, so every worker
    process and every app server sees the same value, and it moves in the same transaction as the
    content it stands for.
    """

    version = models.PositiveBigIntegerField(default=_fresh_version)
    changed_at = models.DateTimeField(default=timezone.now)
    next_publish_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest scheduled publication still to come, when pages change by themselves."
    )

    class Meta:
        verbose_name = "content version"

    def __str__(self):
        return f"version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class ContentChange(models.Model):
    """The last change of one thing reader pages depend on, by name (qa.serving.changes).

    A name is an article's address (``path:/learn/…``), a slug its related cards resolve
    (``slug:…``), a subject (``subject:…``), a subject's list of articles (``listing:…``), the
    whole catalogue (``catalogue``) or the whole site (``site``). A whole-site change supersedes,
    and deletes, every other row, so the table holds only what changed since the last one.
    """

    name = models.CharField(max_length=400, unique=True)
    seq = models.PositiveBigIntegerField(db_index=True)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "content change"

    def __str__(self):
        return f"{self.name} at {self.seq}"


class RenderedArticle(models.Model):
    """The published article page at ``path``: its parts that do not change per request, rendered
    once (qa.article_page).

    ``before`` and ``after`` surround the answer's HTML (read from Answer.html, not copied here);
    ``head`` holds the meta tags and JSON-LD. They are current while none of ``dependencies``
    (space-separated change names, ``path:<path>`` among them) changed after ``seq``, and
    ``format`` matches the templates. ``path`` is the article's when stored: a reader's request
    finds its page by path.
    """

    question = models.OneToOneField(Question, on_delete=models.CASCADE, primary_key=True, related_name="rendered")
    path = models.CharField(max_length=400)
    format = models.CharField(max_length=32)
    seq = models.PositiveBigIntegerField()
    dependencies = models.TextField()
    title = models.TextField()
    head = models.TextField()
    before = models.TextField()
    after = models.TextField()

    class Meta:
        verbose_name = "rendered article"
        constraints = [models.UniqueConstraint(fields=["path"], name="unique_rendered_article_path")]

    def __str__(self):
        return f"Rendered parts of {self.question_id}"


class SearchDocument(models.Model):
    """A question's entry in the full-text index. Written only by database triggers.

    Migration 0002 creates the table per database (qa/search/index.py): FTS5 on SQLite,
    text with a GIN-indexed tsvector on PostgreSQL. Queries go through qa/search/query.py.
    """

    question = models.OneToOneField(
        Question, models.DO_NOTHING, primary_key=True, db_column="rowid", db_constraint=False,
        related_name="search_document",
    )
    # SQLite: FTS5's hidden whole-row column, named after the table, which MATCH and bm25() take.
    # PostgreSQL: the whole text, matched through a GIN index on its tsvector.
    document = models.TextField(db_column="qa_search")
    # PostgreSQL only: the weighted vector of the question, keywords and description, for ranking.
    head = SearchVectorField()

    class Meta:
        managed = False
        db_table = "qa_search"

    def __str__(self):
        return f"Search entry of {self.question_id}"
