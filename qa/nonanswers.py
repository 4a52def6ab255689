"""Non-answers: answers that only say the question cannot be answered.

The real data has a family of them, all opening like "I cannot answer this question based on the
available information…" (the old site marked them no_index by hand).
"""
import re

# The opening sentence of the family, in its variants; matched at the start of the answer.
_NON_ANSWER = re.compile(
    r"\A[\s>*_#]*(?:I|we)\s*(?:cannot|can ?not|can['’]t|am unable to|['’]m unable to|are unable to)\s+"
    r"(?:answer|provide an answer to)\s+(?:this|the|your)\s+question\b",
    re.IGNORECASE,
)


def is_non_answer(answer_markdown: str) -> bool:
    """Whether the answer opens by saying it cannot answer the question."""
    return bool(_NON_ANSWER.match(answer_markdown or ""))
