"""Reader pages. Placeholder views until the reader-site work lands."""
from django.shortcuts import get_object_or_404, render

from qa.models import Question, Subject


def learn_index(request):
    return render(request, "qa/learn_index.html", {"subjects": Subject.objects.filter(is_listed=True)})


def subject_detail(request, subject):
    subject = get_object_or_404(Subject, slug=subject)
    questions = Question.objects.published().filter(subject=subject)[:20]
    return render(request, "qa/subject_detail.html", {"subject": subject, "questions": questions})


def question_detail(request, subject, slug):
    question = get_object_or_404(
        Question.objects.published().select_related("subject", "answer", "seo"), subject__slug=subject, slug=slug
    )
    return render(request, "qa/question_detail.html", {"question": question})
