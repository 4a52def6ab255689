"""The render worst cases: the slowest answers we could construct under the limits (issue 13).

Each case is one hostile answer of at most MAX_ANSWER_CHARS characters (the import and the
admin refuse longer ones) through qa.rendering.markdown.render_markdown, with KaTeX's formula
cache emptied first. Prints wall and CPU seconds and the size of the HTML; every case must take
under 2 s (exit status 1 otherwise). For scale, the first row renders the repeated headings with
mdit_py_plugins' own anchors plugin, the quadratic one this pipeline no longer uses.

    .venv/bin/python bench/bench_render_worst.py [--only NAME ...]
"""
import argparse
import os
import sys
import time

if not __package__:  # run as `python bench/bench_render_worst.py`: common puts the repository on sys.path
    import common  # noqa: F401

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quicktakes.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
django.setup()

from markdown_it import MarkdownIt  # noqa: E402
from mdit_py_plugins.anchors import anchors_plugin  # noqa: E402

from qa.rendering import katex  # noqa: E402
from qa.rendering.markdown import MAX_ANSWER_CHARS, render_markdown  # noqa: E402

LIMIT_SEC = 2.0
# 300 formulas of 100 characters whose macros expand to 800 square roots of fractions each:
# about 40 ms of KaTeX apiece, 11 s for the answer without the typesetting budget.
EXPANDING = r"\def\b{\sqrt{\frac{x}{y}}}\def\c{\b\b\b\b\b\b\b\b\b\b}\def\d{\c\c\c\c\c\c\c\c}"


def fit(unit: str) -> str:
    """``unit`` repeated up to the answer limit."""
    return (unit * (MAX_ANSWER_CHARS // len(unit) + 1))[:MAX_ANSWER_CHARS]


def fill(make) -> str:
    """``make(0) + make(1) + …`` for as long as the whole stays within the limit."""
    parts, size, n = [], 0, 0
    while size + len(part := make(n)) <= MAX_ANSWER_CHARS:
        parts.append(part)
        size, n = size + len(part), n + 1
    return "".join(parts)


def empty_rows_table(columns: int, rows: int) -> str:
    return "|" + "a|" * columns + "\n|" + "-|" * columns + "\n" + "|\n" * rows + "\n"


CASES = {
    "repeated headings `# h` (7,500)": fit("# h\n"),
    "headings h-1, h-2… then h again": (
        fill(lambda n: f"# h-{n}\n")[: MAX_ANSWER_CHARS // 2] + fit("# h\n")[: MAX_ANSWER_CHARS // 2]
    ),
    "distinct headings (TOC of 3,000 entries)": fill(lambda n: f"## h{n}\n"),
    "nested lists, 25 deep, repeated": fit("".join("  " * d + "- a\n" for d in range(25))),
    "nested quotes, 50 deep, repeated": fit("> " * 50 + "a\n"),
    "quotes and lists nested together": fit("".join("> " * d + "- " * d + "a\n" for d in range(20))),
    "long table, 10 columns filled": "|" + "h|" * 10 + "\n|" + "-|" * 10 + "\n" + fit("|" + "x|" * 10 + "\n")[:-200],
    "empty rows under a 49-column header": fit(empty_rows_table(49, 600)),
    "empty rows under a 10-column header": fit(empty_rows_table(10, 3000)),
    "tables wider than the limit (200 columns)": fit(empty_rows_table(200, 320)),
    "many distinct small formulas (2,800)": fill(lambda n: f"$x_{{{n}}}$ "),
    "many distinct \\ce formulas (1,000)": fill(lambda n: f"$\\ce{{{n}H2O + CO2 -> H2CO3}}$ "),
    "distinct 5,000-character \\ce formulas": fill(lambda n: "$\\ce{" + f"{n}" + "H2O + " * 830 + "}$ "),
    "distinct deeply nested fractions": fill(lambda n: "$$" + "\\frac{1}{" * 20 + str(n) + "}" * 20 + "$$\n\n"),
    "macro-expanding formulas (300)": fill(lambda n: f"${EXPANDING}{n}" + "\\d" * 10 + "$ "),
    "half tables, half macro-expanding formulas": (
        fit(empty_rows_table(49, 600))[: MAX_ANSWER_CHARS // 2]
        + "\n\n"
        + fill(lambda n: f"${EXPANDING}{n}" + "\\d" * 10 + "$ ")[: MAX_ANSWER_CHARS // 2 - 2]
    ),
    "unclosed links `[a`": fit("[a"),
    "unclosed images `![a`": fit("![a"),
    "unclosed emphasis `*a **a `": fit("*a **a "),
    "backtick runs": fit("`a``"),
    "prices and dollars": fit("$5 and $"),
    "unclosed display math": fit("$$\n" + "a\n" * 150),
    "unclosed \\( and \\[": fit("\\( \\[ "),
}


def stock_anchors_seconds(text: str) -> float:
    """CPU seconds of markdown-it with mdit_py_plugins' own anchors (the quadratic ids)."""
    md = MarkdownIt("commonmark").use(anchors_plugin, min_level=1, max_level=6, permalink=True)
    started = time.process_time()
    md.render(text)
    return time.process_time() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names (or parts of names) of the cases to run")
    args = parser.parse_args()
    katex.typeset([("x", False)])  # the V8 context is made once per process, not per answer

    headings = CASES["repeated headings `# h` (7,500)"]
    print(f"limit: {MAX_ANSWER_CHARS:,} characters an answer; KaTeX budget {katex.TYPESET_BUDGET_SEC} s")
    print(f"{'stock anchors plugin, repeated headings':45} {'':>7} {stock_anchors_seconds(headings):7.2f} s CPU")
    slow = []
    for name, text in CASES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        assert len(text) <= MAX_ANSWER_CHARS, name
        katex._cache.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        html = render_markdown(text)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{name:45} {len(text):7,} {cpu:7.2f} s CPU {wall:7.2f} s wall {len(html):>11,} chars of HTML", flush=True)
        if wall >= LIMIT_SEC:
            slow.append(name)
    if slow:
        sys.exit(f"over {LIMIT_SEC} s: {', '.join(slow)}")


if __name__ == "__main__":
    main()
