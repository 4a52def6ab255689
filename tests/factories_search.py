"""Small builders for the search tests: articles saved through the ORM, so the triggers index them."""
import datetime
import itertools

from django.utils.text import slugify

from qa.models import SEO, Answer, Question, Subject

_numbers = itertools.count(1)


def make_subject(slug="biology", title=None, is_listed=True):
    subject, _ = Subject.objects.get_or_create(
        slug=slug, defaults={"title": title or slug.replace("-", " ").title(), "is_listed": is_listed}
    )
    return subject


def make_question(question, *, subject=None, answer="", keywords="", description="",
                  status=Question.Status.PUBLISHED, publish_at=None, date=None, title=None):
    number = next(_numbers)
    q = Question.objects.create(
        subject=subject or make_subject(),
        slug=f"{slugify(question)[:200] or 'q'}-{number}",
        title=title or question,
        question=question,
        date=date or datetime.date(2025, 1, 1) + datetime.timedelta(days=number),
        status=status,
        publish_at=publish_at,
    )
    Answer.objects.create(question=q, body=answer)
    SEO.objects.create(question=q, page_keywords=keywords, page_description=description)
    return q
