"""Reading seed files: YAML front matter between ``---`` lines, then a placeholder body."""
import re

# LaTeX commands that begin with "n": in an answer, "\n" followed by one of these
# (as a whole word) is the command, not a line break.  "\t" is never a tab.
LATEX_N_COMMANDS = (
    "nabla natural nearrow neg negthickspace negthinspace negmedspace neq neq nexists "
    "newcommand newline ngeq ngeqq ngtr ni nleftarrow nleftrightarrow nleq nleqq nless nmid "
    "nolimits nonumber normalsize not notin nparallel nprec npreceq nrightarrow nshortmid "
    "nsim nsubseteq nsucc nsucceq nsupseteq ntriangleleft ntriangleright nu nvdash nwarrow "
    "ncong ne"
).split()
_LINE_BREAK = re.compile(r"\\(?!(?:%s)(?![A-Za-z]))n" % "|".join(sorted(set(LATEX_N_COMMANDS), key=len, reverse=True)))


def decode_answer(raw: str) -> str:
    r"""Turn the seed's two-character ``\n`` into real line breaks, keeping LaTeX such as ``\nu``."""
    return _LINE_BREAK.sub("\n", raw)


def encode_answer(body: str) -> str:
    r"""The inverse of :func:`decode_answer`: real line breaks back to ``\n``."""
    return body.replace("\r\n", "\n").replace("\n", "\\n")
