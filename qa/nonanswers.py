"""Answers that are not answers: the generator's refusals.

The old site published a few dozen answers that open by declining, "I cannot answer this
question based on the available information. The gathered information does not ...", and
marked them ``no_index`` by hand. This module recognises that family so the importer and the
editor's save can do the same automatically, and the content-health report can list them.

An answer belongs to the family when its *first sentence* is such a refusal: "I cannot" (or
"can't", "can not", "am unable to", "am not able to", optionally after "I'm sorry," or
"Unfortunately,") "answer"/"provide an answer to"/"address" "this"/"the"/"your" "question",
followed by the source it lacked ("based on", "with", "from", "using" ... "the available",
"provided", "gathered", "given" ... "information", "data", "context", "sources"). An answer
that merely mentions somewhere that a detail was missing ("While the gathered information
does not specify ...") still answers, and is not a non-answer.
"""
import re

_OPENING = re.compile(
    r"""
    ^(?:(?:I\s*am|I'm)\s+sorry,?\s*(?:but\s+)?|unfortunately,?\s*)?
    I\s+(?:cannot|can\s+not|can't|am\s+unable\s+to|'m\s+unable\s+to|am\s+not\s+able\s+to|
          'm\s+not\s+able\s+to|am\s+not\s+able\s+to|could\s+not|couldn't|do\s+not\s+have\s+enough\s+information\s+to)
    \s+(?:answer|provide\s+an?\s+(?:answer|response)\s+to|respond\s+to|address)
    \s+(?:this|the|that|your)\s+(?:specific\s+)?question
    \s+(?:based\s+on|with|from|using|given)
    \s+(?:the\s+)?(?:currently\s+)?(?:available|provided|gathered|given|information\s+available|supplied)
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Markdown that can stand before the first word: emphasis, a heading, a quote, a list marker.
_LEADING_MARKUP = re.compile(r"^(?:\s|[#>*_`~-]|\\n|&nbsp;)+")


def is_non_answer(answer_markdown: str) -> bool:
    """True when the answer opens by declining to answer for want of information."""
    if not answer_markdown:
        return False
    text = _LEADING_MARKUP.sub("", answer_markdown[:400]).replace("\u2019", "'")
    return bool(_OPENING.match(text))


def mark_no_index(question) -> bool:
    """Mark a published-to-be non-answer ``no_index``, as the old site's editors did by hand.

    True when it was marked now; an article already marked, or that answers, is left alone.
    """
    from qa.models import Answer

    if question.no_index:
        return False
    body = Answer.objects.filter(question=question).values_list("body", flat=True).first()
    if not body or not is_non_answer(body):
        return False
    question.no_index = True
    question.save(update_fields=["no_index"])
    return True
