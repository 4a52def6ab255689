"""A site-sized corpus of seed files made from the real sample, every copy's text and math varied.

The sample holds 2,552 real files; a 36,000-file site is about 14 copies of it. Copies of the
same answers would flatter the import: their formulas hit KaTeX's formula cache and the search
index sees the same words again. So copy ``k`` (from 1) changes its answer and question:

* prose (outside math and code): every lowercase letter rotated by ``k``, so each word is
  another word of the same length and the Markdown's shape is untouched;
* math: every digit shifted by ``k`` and every single-letter variable renamed (``x^2+y`` becomes
  ``y^2+z``), so a formula with digits or variables is a new formula for the cache. Column
  letters of an array (``c``, ``l``, ``r``) and command names never change, so what parses stays
  parsable;
* code (fenced and inline) is left alone: a renamed language would not be highlighted.

Formulas with neither (``\\alpha``, ``P \\lor \\neg P``) stay shared between copies, as they are
between real articles. :func:`formula_census` counts what the corpus holds, to compare with the
whole real site (33,029 formulas, 11,863 distinct).

    from bench.corpus import build_corpus
    build_corpus(target_dir, 36_000)
"""
import re
from pathlib import Path

from bench.common import CORPUS_SEEDS, setup_django

# The answer's math as the pipeline finds it, closely enough for varying it: display blocks,
# \[...\], \(...\) and $...$ on one line. Line breaks in seed answers are the two characters \n.
MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<![\\$])\$[^$]+?\$", re.S)  # prices too: harmless
CODE = re.compile(r"```.*?```|`[^`]*`", re.S)
VARIABLE = re.compile(r"(?<![\\A-Za-z])[a-z](?![A-Za-z])")
# Prose letters are rotated outside escapes and commands: never the n of \n, nor a \frac that a
# price's dollar left outside the math spans above.
ESCAPE_OR_RUN = re.compile(r"\\n(?![a-z])|\\[A-Za-z]+|\\.|[^\\]+", re.S)
VARIABLES = "abdefghijkmnopqstuvwxyz"  # not c, l, r: an array's column letters
FRONT_MATTER_KEY = re.compile(r"^(answer|question): >-\n((?:    .*\n?)+)", re.M)


def _rotate(letter: str, alphabet: str, by: int) -> str:
    index = alphabet.find(letter)
    return letter if index < 0 else alphabet[(index + by) % len(alphabet)]


def vary_math(formula: str, copy: int) -> str:
    digits = re.sub(r"\d", lambda m: str((int(m[0]) + copy) % 10), formula)
    return VARIABLE.sub(lambda m: _rotate(m[0], VARIABLES, copy), digits)


def vary_prose(text: str, copy: int) -> str:
    lower = "abcdefghijklmnopqrstuvwxyz"
    rotation = str.maketrans(lower, lower[copy % 26:] + lower[: copy % 26])
    return ESCAPE_OR_RUN.sub(lambda m: m[0] if m[0].startswith("\\") else m[0].translate(rotation), text)


def vary_answer(answer: str, copy: int) -> str:
    """The answer with copy ``copy``'s variation (copy 0 is the original)."""
    if not copy:
        return answer
    protected = re.compile(f"{CODE.pattern}|{MATH.pattern}", re.S)
    out, last = [], 0
    for match in protected.finditer(answer):
        out.append(vary_prose(answer[last:match.start()], copy))
        span = match[0]
        out.append(span if span.startswith("`") else vary_math(span, copy))
        last = match.end()
    out.append(vary_prose(answer[last:], copy))
    return "".join(out)


def vary_seed(text: str, slug: str, copy: int) -> str:
    """A seed file as copy ``copy``: its own url and file name, its answer and question varied."""
    text = re.sub(r"^(url: /learn/[a-z0-9-]+/questions/)(\S+)$", rf"\g<1>{slug}", text, count=1, flags=re.M)
    text = re.sub(r"^file_name: .*$", f"file_name: {slug}.md", text, count=1, flags=re.M)
    return FRONT_MATTER_KEY.sub(lambda m: f"{m[1]}: >-\n{vary_answer(m[2], copy)}", text)


def build_corpus(target: Path, count: int) -> int:
    """Write ``count`` seed files under ``target/<subject>/``; return how many were written."""
    sources = sorted(CORPUS_SEEDS.glob("*/*.md"))
    written = copy = 0
    while written < count:
        for source in sources[: count - written]:
            slug = source.stem if copy == 0 else f"{source.stem}-{copy}"
            out = target / source.parent.name / f"{slug}.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(vary_seed(source.read_text("utf-8"), slug, copy), "utf-8")
            written += 1
        copy += 1
    return written


def formula_census(seeds: Path) -> tuple[int, int]:
    """(formulas, distinct formulas) in the answers under ``seeds``, as the pipeline finds them."""
    setup_django()  # the seed parser reads its limits from the models
    from qa.imports.seedfile import parse_seed
    from qa.rendering.markdown import formulas_in

    formulas = [formula for path in seeds.rglob("*.md") for formula in formulas_in(parse_seed(path.read_bytes()).answer)]
    return len(formulas), len(set(formulas))
