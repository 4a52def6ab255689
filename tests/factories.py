"""Test data: articles, users, admin form data, images and seed files.

One :class:`Factory`, used through the module-level instance::

    from tests.factories import factory

    biology = factory.make_subject("biology")
    question = factory.make_question(biology, "how-do-cells-divide", body="By **mitosis**.")

Its counter keeps generated slugs, question texts and source ids unique within a test run.
"""
import datetime
import itertools
from io import BytesIO
from pathlib import Path

import yaml
from django.contrib.auth.models import Group, User
from PIL import Image

from qa.admin import edit_guard
from qa.models import SEO, Answer, Question, RelatedArticle, Subject

PASSWORD = "correct horse battery staple"
# The page of the article make_article() makes by default.
ARTICLE = "/learn/biology/questions/how-do-cells-divide"


class Factory:
    def __init__(self):
        self._numbers = itertools.count(1)

    def next_number(self) -> int:
        return next(self._numbers)

    # -- articles ---------------------------------------------------------------------------------

    def make_subject(self, slug="biology", title=None, *, is_listed=True, position=0) -> Subject:
        """The subject with this slug, created with these fields if it does not exist yet."""
        subject, _ = Subject.objects.get_or_create(
            slug=slug,
            defaults={"title": title or slug.replace("-", " ").title(), "is_listed": is_listed, "position": position},
        )
        return subject

    def make_question(
        self,
        subject=None,
        slug=None,
        *,
        question=None,
        title=None,
        article_title="",
        body="",
        status=Question.Status.PUBLISHED,
        date=datetime.date(2025, 1, 24),
        seo_title=None,
        description="",
        keywords="",
        related=(),
        **fields,
    ) -> Question:
        """A question with its answer (rendered through Answer.save) and SEO row, saved through the
        ORM so the signals and the search triggers see it.

        ``subject`` defaults to make_subject(), ``title`` to the question text.
        The article holds no words but those given: the answer, description and keywords are empty
        unless passed. ``related`` is a sequence of target URLs (or (url, title) pairs), stored like
        the import does. Other model fields (``publish_at``, ``no_index``, ``source_id``…) pass
        through ``fields``.
        """
        n = self.next_number()
        subject = subject or self.make_subject()
        text = question or f"Question number {n}?"
        q = Question.objects.create(
            subject=subject,
            slug=slug or f"question-{n}",
            title=text if title is None else title,
            article_title=article_title,
            question=text,
            date=date,
            status=status,
            source_id=fields.pop("source_id", 100_000 + n),
            **fields,
        )
        Answer.objects.create(question=q, body=body)
        SEO.objects.create(
            question=q,
            title=seo_title if seo_title is not None else f"QuickTakes | {subject.title}",
            page_description=description,
            page_keywords=keywords,
        )
        for position, target in enumerate(related, start=1):
            url, target_title = target if isinstance(target, tuple) else (target, "")
            RelatedArticle.objects.create(question=q, position=position, target_url=url, target_title=target_title)
        return q

    def make_article(self, subject="biology", slug="how-do-cells-divide", body="Cells divide by **mitosis**.", **fields):
        """The published article at ARTICLE (by default), as the production tests use it."""
        return self.make_question(
            self.make_subject(subject, subject.title()), slug, question=f"Question {slug}?", title=f"Q {slug}",
            body=body, seo_title=f"SEO {slug}", source_id=None, **fields,
        )

    # -- users ------------------------------------------------------------------------------------

    def make_superuser(self, username="admin") -> User:
        return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)

    def make_editor(self, username="editor", first_name="") -> User:
        """A staff member in the Editors group the migration creates."""
        user = self.make_staff(username, first_name=first_name)
        user.groups.add(Group.objects.get(name="Editors"))
        return user

    def make_staff(self, username="staff", first_name="") -> User:
        """Staff without any permission."""
        return User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True, first_name=first_name)

    # -- uploads and admin forms ----------------------------------------------------------------

    def image_bytes(self, fmt="PNG", size=(40, 30), color=(200, 30, 30)) -> bytes:
        out = BytesIO()
        Image.new("RGB", size, color).save(out, fmt)
        return out.getvalue()

    def change_form_data(self, question, **overrides) -> dict:
        """The POST data of the question's change form as the admin renders it now, with ``overrides``.

        Keys use the form's own names: question fields bare, inlines by prefix ("answer-0-body",
        "seo-0-title", "related_links-0-target_url"). A value of None drops the key.
        """
        answer = getattr(question, "answer", None)
        seo = getattr(question, "seo", None)
        links = list(question.related_links.order_by("position"))
        data = {
            # What the page carries (qa/admin/edit_guard.py): the form was loaded just now.
            "edit_token": edit_guard.current_token(question.pk),
            "question": question.question,
            "subject": question.subject_id,
            "slug": question.slug,
            "status": question.status,
            "publish_at_0": question.publish_at.strftime("%Y-%m-%d") if question.publish_at else "",
            "publish_at_1": question.publish_at.strftime("%H:%M:%S") if question.publish_at else "",
            "title": question.title,
            "article_title": question.article_title,
            "date": question.date.isoformat(),
            "author": question.author,
            "date_format": question.date_format,
            "post_on_text": question.post_on_text,
            "score": "" if question.score is None else question.score,
            "source_id": "" if question.source_id is None else question.source_id,
            "extra": "{}",
            "initial-extra": "{}",  # the hidden initial Django renders for a field with a callable default
            # Answer inline: exactly one form.
            **management_form("answer", total=1, initial=1 if answer else 0, minimum=1, maximum=1),
            "answer-0-question": question.pk,
            "answer-0-body": answer.body if answer else "",
            # SEO inline.
            **management_form("seo", total=1, initial=1 if seo else 0, minimum=0, maximum=1),
            "seo-0-question": question.pk,
            "seo-0-title": seo.title if seo else "",
            "seo-0-page_description": seo.page_description if seo else "",
            "seo-0-page_keywords": seo.page_keywords if seo else "",
            # Related links inline.
            **management_form("related_links", total=len(links), initial=len(links), minimum=0, maximum=5),
        }
        for i, link in enumerate(links):
            data.update(
                {
                    f"related_links-{i}-id": link.pk,
                    f"related_links-{i}-question": question.pk,
                    f"related_links-{i}-position": link.position,
                    f"related_links-{i}-target": "",
                    f"related_links-{i}-target_url": link.target_url,
                    f"related_links-{i}-target_title": link.target_title,
                }
            )
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    def add_related_rows(self, data, question_pk, rows) -> dict:
        """Append new related-link rows (dicts of target / target_url / position) to form data."""
        start = int(data["related_links-TOTAL_FORMS"])
        for offset, row in enumerate(rows):
            i = start + offset
            data[f"related_links-{i}-question"] = question_pk or ""
            data[f"related_links-{i}-position"] = row.get("position", "")
            data[f"related_links-{i}-target"] = row.get("target", "")
            data[f"related_links-{i}-target_url"] = row.get("target_url", "")
            data[f"related_links-{i}-target_title"] = row.get("target_title", "")
        data["related_links-TOTAL_FORMS"] = start + len(rows)
        return data

    # -- seed files -------------------------------------------------------------------------------

    def seed_text(self, subject="biology", slug="how-do-cells-divide", *, id=1001, answer=None, related=(), **fields):
        """A seed file's text, in the exact shape of the real ones. ``fields`` override or add
        front-matter keys; a value of None drops the key."""
        front = {
            "_schema": "default",
            "id": id,
            "date": "2025-01-24",
            "title": f"Question {slug}?",
            "article_title": f"Question {slug}?",
            "date_format": "MMM DD, YYYY",
            "post_on_text": "Posted on",
            "seo": {"title": "QuickTakes | Biology", "page_description": "How cells divide.", "page_keywords": "cells, mitosis"},
            "author": "QuickTakes",
            "question": f"Question {slug}?",
            "answer": answer if answer is not None else r"Cells divide by **mitosis**.\n\n1. Prophase\n2. Metaphase",
            "subject": subject.replace("-", " ").capitalize(),
            "file_name": f"{slug}.md",
            "url": f"/learn/{subject}/questions/{slug}",
            "score": -1.0,
        }
        for position, (rel_subject, rel_slug) in enumerate(related, start=1):
            front[f"related_article{position}"] = {
                "id": 2000 + position,
                "title": f"Question {rel_slug}?",
                "subject": rel_subject,
                "url": f"/learn/{rel_subject}/questions/{rel_slug}",
            }
        front.update(fields)
        front = {k: v for k, v in front.items() if v is not None}
        text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10_000)
        # The seeds write `date: 2025-01-24` unquoted (a YAML date).
        text = text.replace("date: '2025-01-24'", "date: 2025-01-24")
        return f"---\n{text}---\n\n&nbsp;\n"

    def write_seed(self, directory: Path, subject="biology", slug="how-do-cells-divide", **kwargs) -> Path:
        """seed_text() written where the import looks for it: ``directory/subject/slug.md``."""
        path = Path(directory) / subject / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.seed_text(subject, slug, **kwargs), encoding="utf-8")
        return path


def management_form(prefix, *, total, initial, minimum, maximum) -> dict:
    """An admin inline's management form fields, as Django names them."""
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": minimum,
        f"{prefix}-MAX_NUM_FORMS": maximum,
    }


factory = Factory()
