"""Users, images and form data for the admin tests. Articles come from tests/factories_reader.py."""
from io import BytesIO

from django.contrib.auth.models import Group, User
from PIL import Image

from tests.factories_reader import make_question, make_subject  # noqa: F401  (re-exported for the admin tests)

PASSWORD = "correct horse battery staple"


def make_superuser(username="admin"):
    return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)


def make_editor(username="editor"):
    """A staff member in the Editors group the migration creates."""
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def make_staff(username="staff"):
    """Staff without any permission."""
    return User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)


def image_bytes(fmt="PNG", size=(40, 30), color=(200, 30, 30)):
    out = BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def change_form_data(question, **overrides):
    """The POST data of the question's change form as the admin renders it, with ``overrides``.

    Keys use the form's own names: question fields bare, inlines by prefix ("answer-0-body",
    "seo-0-title", "related_links-0-target_url"). A value of None drops the key.
    """
    answer = getattr(question, "answer", None)
    seo = getattr(question, "seo", None)
    links = list(question.related_links.order_by("position"))
    data = {
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
        "answer-TOTAL_FORMS": 1,
        "answer-INITIAL_FORMS": 1 if answer else 0,
        "answer-MIN_NUM_FORMS": 1,
        "answer-MAX_NUM_FORMS": 1,
        "answer-0-question": question.pk,
        "answer-0-body": answer.body if answer else "",
        # SEO inline.
        "seo-TOTAL_FORMS": 1,
        "seo-INITIAL_FORMS": 1 if seo else 0,
        "seo-MIN_NUM_FORMS": 0,
        "seo-MAX_NUM_FORMS": 1,
        "seo-0-question": question.pk,
        "seo-0-title": seo.title if seo else "",
        "seo-0-page_description": seo.page_description if seo else "",
        "seo-0-page_keywords": seo.page_keywords if seo else "",
        # Related links inline.
        "related_links-TOTAL_FORMS": len(links),
        "related_links-INITIAL_FORMS": len(links),
        "related_links-MIN_NUM_FORMS": 0,
        "related_links-MAX_NUM_FORMS": 5,
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


def add_related_rows(data, question_pk, rows):
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
