"""Rendering benchmark: every answer of the real sample through qa.rendering.markdown.render_markdown.

Prints answers/s for the whole pipeline and, for scale on a busy machine, for bare
markdown-it (CommonMark + tables, no math, highlighting, anchors or sanitising) on the
same answers, interleaved so both see the same load; then KaTeX's cost per formula on an
empty formula cache: one call per answer (as the pipeline typesets) and one call per formula.

    .venv/bin/python bench/bench_render.py [--repeat 5]
"""
import argparse
import sys
import time

if not __package__:  # run as `python bench/bench_render.py`: common puts the repository on sys.path
    import common  # noqa: F401

from markdown_it import MarkdownIt

from bench.common import CORPUS_SEEDS, setup_django

setup_django()  # the seed parser reads its limits from the models
from qa.imports.seedfile import parse_seed  # noqa: E402
from qa.rendering import katex  # noqa: E402
from qa.rendering.markdown import formulas_in, render_markdown  # noqa: E402


def load_answers() -> list[str]:
    return [parse_seed(path.read_bytes()).answer for path in sorted(CORPUS_SEEDS.glob("*/*.md"))]


def rate(render, answers) -> float:
    started = time.process_time()
    for answer in answers:
        render(answer)
    return len(answers) / (time.process_time() - started)


def formula_cost(answers) -> None:
    """CPU per distinct formula on an empty cache, KaTeX's engine already started."""
    per_answer = [formulas for formulas in map(formulas_in, answers) if formulas]
    distinct = list(dict.fromkeys(f for formulas in per_answer for f in formulas))
    katex._reset_engine()
    started = time.process_time()
    katex.typeset([("x", False)])  # the engine: V8 and KaTeX's scripts, once per process
    print(f"KaTeX engine start: {(time.process_time() - started) * 1000:.0f} ms")
    for label, calls in (("one call per answer", per_answer), ("one call per formula", [[f] for f in distinct])):
        katex._cache.clear()
        started = time.process_time()
        for formulas in calls:
            katex.typeset(formulas)
        spent = time.process_time() - started
        print(f"KaTeX, {label}: {spent * 1000 / len(distinct):.3f} ms per formula "
              f"({len(distinct)} distinct formulas in {len(calls)} calls, {spent:.2f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the sample (best pass is reported)")
    args = parser.parse_args()
    if not CORPUS_SEEDS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS_SEEDS}")
    answers = load_answers()
    bare = MarkdownIt("commonmark", {"html": False}).enable("table")

    print(f"first pass (cold formula cache): {rate(render_markdown, answers):,.0f} answers/s")

    pipeline, baseline = [], []
    for _ in range(args.repeat):
        pipeline.append(rate(render_markdown, answers))
        baseline.append(rate(bare.render, answers))
    print(f"render_markdown: {max(pipeline):,.0f} answers/s (best of {args.repeat} passes over {len(answers)})")
    print(f"bare markdown-it: {max(baseline):,.0f} answers/s (same passes, for scale)")
    print(f"pipeline / bare: {max(pipeline) / max(baseline):.2f}")
    print(f"KaTeX formula cache: {len(katex._cache)} formulas")
    formula_cost(answers)


if __name__ == "__main__":
    main()
