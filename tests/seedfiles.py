"""Write seed files for tests, in the exact shape of the real ones."""
from pathlib import Path

import yaml


def seed_text(subject="biology", slug="how-do-cells-divide", *, id=1001, answer=None, related=(), **fields):
    """A seed file's text. ``fields`` override or add front-matter keys; a value of None drops the key."""
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


def write_seed(directory: Path, subject="biology", slug="how-do-cells-divide", **kwargs) -> Path:
    path = Path(directory) / subject / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_text(subject, slug, **kwargs), encoding="utf-8")
    return path
