r"""Server-side math typesetting with KaTeX, run inside Python on V8 (mini-racer).

Why KaTeX on the server: it covers far more of what the answers write than latex2mathml
(``aligned``, ``cases``, ``\ce`` through mhchem, ``\text{$…$}``…), its output looks the
same in every browser (HTML + CSS + fonts, with MathML alongside for screen readers),
and the page needs no JavaScript: the HTML is computed once, at import/render time.

Why mini-racer: it embeds V8 as a Python extension, so typesetting is a function call,
not a Node.js subprocess or service to deploy. KaTeX itself comes from npm
(``package-lock.json``, ``npm ci``) and is read from ``node_modules`` at run time.

One V8 context per process, created on first use. V8 (and mini-racer's event-loop
thread) cannot cross ``fork()``: a child that touches, or merely finalises, a context
inherited from its parent hangs. So the context is closed in the parent just before any
fork (``os.register_at_fork``) and the child makes its own; the owner's pid is checked
as well.

:func:`typeset` sends every uncached formula of a call to V8 in one round trip (a JSON
array in, a JSON array out), with a time and memory bound. A batch that runs out of
time is retried formula by formula in a fresh context, so one hostile formula costs
only itself, and the whole call never takes more than TYPESET_BUDGET_SEC.
"""

import atexit
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from py_mini_racer import JSOOMException, JSTimeoutException, MiniRacer

# Where ``npm ci`` put KaTeX (package.json is at the project's root).
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
SCRIPTS = ("katex/dist/katex.min.js", "katex/dist/contrib/mhchem.min.js")

# KaTeX options for every formula (displayMode and macros are set per formula in JS).
OPTIONS = {
    # HTML for the eye (needs katex.min.css and its fonts), MathML for screen readers.
    "output": "htmlAndMathml",
    # An error is a refusal we can see (and show the source instead), not red text in the page.
    "throwOnError": True,
    # No \href, \url, \includegraphics, \htmlClass/\htmlId/\htmlStyle/\htmlData: the
    # answers are imported content, and links/images/attributes are not for math to make.
    "trust": False,
    # Real content is not strict LaTeX (Unicode letters in math, "\\" in inline math…);
    # "ignore" renders it as KaTeX best can without logging to a console nobody reads.
    "strict": "ignore",
    # Macro expansions per formula; stops \def\a{\a\a}\a. KaTeX's default, stated
    # explicitly because it is a safety bound (real formulas, \ce included, use far fewer).
    "maxExpand": 1000,
    # User-given sizes (\rule, \kern, \hspace, \raisebox, \fontsize…) are clamped to
    # this many em: a line of prose is ~35 em, so a formula cannot paint a box over
    # the page, while the largest real spacing (\hspace{2cm}, \qquad) is ~5 em.
    "maxSize": 10,
}
# KaTeX is ~1 ms a formula once warm. A call (one answer) has TYPESET_BUDGET_SEC for all
# its uncached formulas, however many: 300 short macro-expanding formulas would take KaTeX
# 40 ms each (bench/bench_render_worst.py), the largest real answer (38 formulas) needs about
# 20 ms. The batch gets BATCH_TIMEOUT_SEC of it; when it runs out, each formula is retried
# alone for at most FORMULA_TIMEOUT_SEC while the budget lasts, in a fresh context after each
# timeout (50–100 ms to start here), so the rest leaves room for a slow one and two restarts.
# The process's first context starts before the budget does: it is not this answer's cost. What is not typeset in time
# is shown as its source and not cached: a later render tries it again.
TYPESET_BUDGET_SEC = 1.2
BATCH_TIMEOUT_SEC = 0.7
FORMULA_TIMEOUT_SEC = 0.25
OUT_OF_TIME = "the answer's time for typesetting ran out"
MAX_MEMORY = 256 * 1024 * 1024  # V8 hard heap limit: KaTeX needs ~20 MB
MAX_FORMULA_CHARS = 5000
# KaTeX output grows with nesting, not source length: 200 nested \underbrace make 0.5 MB,
# a 5 KB \ce 1.6 MB. The largest real formula is 25 KB; more than this is refused.
MAX_HTML_CHARS = 100_000
CACHE_SIZE = 4096  # entries; ~2 KB of HTML each on average

# A fresh ``macros: {}`` for each formula: KaTeX writes \gdef/\global definitions into
# the macros object it is given, so a shared one would leak them into later formulas.
_TYPESET_JS = r"""
var __typeset = function (items, options, maxChars) {
  return items.map(function (item) {
    var opts = Object.assign({}, options, {displayMode: item[1], macros: {}});
    try {
      var html = katex.renderToString(item[0], opts);
      // Checked here, not in Python: a refused 1 MB string is never serialised.
      return html.length <= maxChars ? html : {error: "HTML of " + html.length + " characters"};
    } catch (e) {
      // ParseError for what KaTeX refuses; RangeError (stack) for absurd nesting.
      return {error: String((e && e.message) || e)};
    }
  });
};
"""


class _Engine:
    """A V8 context with KaTeX and mhchem loaded, owned by one process."""

    def __init__(self, node_modules: Path):
        sources = []
        for script in SCRIPTS:
            path = node_modules / script
            if not path.is_file():
                raise RuntimeError(
                    f"KaTeX is not installed: {path} is missing. Run `npm ci` in the "
                    f"directory holding package-lock.json (node_modules is {node_modules})."
                )
            sources.append(path.read_text(encoding="utf-8"))
        self.pid = os.getpid()
        self.racer = MiniRacer()
        self.racer.set_hard_memory_limit(MAX_MEMORY)
        for source in sources:
            self.racer.eval(source)
        self.racer.eval(_TYPESET_JS)

    def run(self, items: list[tuple[str, bool]], timeout: float) -> list[str | dict]:
        return self.racer.call("__typeset", items, OPTIONS, MAX_HTML_CHARS, timeout_sec=timeout)

    def close(self, after_timeout: bool = False) -> None:
        if after_timeout:
            # Let V8 report the terminated run first: closed at once, its late callback
            # meets a closed event loop ("Exception ignored … Event loop is closed").
            try:
                self.racer.eval("0", timeout_sec=FORMULA_TIMEOUT_SEC)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        self.racer.close()


_engine: _Engine | None = None
_lock = threading.Lock()
_cache: OrderedDict[tuple[str, bool], str | None] = OrderedDict()
# Engines found in a forked child (a fork the hooks below did not see). Never closed:
# closing or even garbage-collecting one hangs the child, so they stay referenced.
_orphans: list[_Engine] = []
# The latest refusal reasons, for diagnostics (survey, logs): (latex, display) → message.
last_errors: dict[tuple[str, bool], str] = {}


def _get_engine() -> _Engine:
    global _engine
    if _engine is not None and _engine.pid != os.getpid():
        _orphans.append(_engine)
        _engine = None
    if _engine is None:
        _engine = _Engine(NODE_MODULES)
    return _engine


def _reset_engine(after_timeout: bool = False) -> None:
    """Close this process's context; the next call makes a new one."""
    global _engine
    if _engine is not None and _engine.pid == os.getpid():
        _engine.close(after_timeout)
    _engine = None


def _before_fork() -> None:
    # Take the lock so no typesetting is half-way, then close V8 in the parent, where
    # its threads live: the child then inherits no context at all.
    _lock.acquire()
    _reset_engine()


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)
# Close V8 while the interpreter is still whole: left to garbage collection during
# interpreter shutdown, mini-racer's close() can wait forever on its event-loop thread.
atexit.register(_reset_engine)


def _run(items: list[tuple[str, bool]], limit: float, deadline: float) -> list[str | dict] | None:
    """One V8 call of at most ``limit`` seconds, ending by ``deadline``; None if it ran out of time."""
    engine = _get_engine()  # a fresh context's start-up counts against the deadline too
    timeout = min(limit, deadline - time.monotonic())
    if timeout <= 0:
        return [{"error": OUT_OF_TIME}] * len(items)
    try:
        return engine.run(items, timeout)
    except (JSTimeoutException, JSOOMException):
        # A context whose run was cut short is not trusted again.
        _reset_engine(after_timeout=True)
        return None


def _render(items: list[tuple[str, bool]], deadline: float) -> list[str | dict]:
    """KaTeX results for ``items``: HTML, or {"error": message}. Caller holds the lock.

    Nothing runs past ``deadline`` (time.monotonic()); what is left then gets OUT_OF_TIME.
    """
    results = _run(items, BATCH_TIMEOUT_SEC, deadline)
    if results is not None:
        return results
    if len(items) == 1:
        return [{"error": "time or memory limit reached"}]
    results = []
    for item in items:
        result = _run([item], FORMULA_TIMEOUT_SEC, deadline)
        results.extend(result or [{"error": "time or memory limit reached"}])
    return results


def typeset(formulas: Sequence[tuple[str, bool]]) -> list[str | None]:
    """KaTeX HTML for each ``(latex, display)`` pair, or None where KaTeX refuses it."""
    keys = [(latex, bool(display)) for latex, display in formulas]
    with _lock:
        found: dict[tuple[str, bool], str | None] = {}  # this call's results, whatever the cache keeps
        missing = []
        for key in dict.fromkeys(keys):  # distinct, in order
            if key in _cache:
                _cache.move_to_end(key)
                found[key] = _cache[key]
            else:
                missing.append(key)
        if missing:
            results: list[str | None] = [None] * len(missing)
            todo = []
            for index, (latex, display) in enumerate(missing):
                source = prepare(latex, display)
                if source is None:
                    last_errors[(latex, display)] = "refused before KaTeX (too long or empty)"
                else:
                    todo.append((index, source, display))
            out_of_time = set()
            if todo:
                _get_engine()
                deadline = time.monotonic() + TYPESET_BUDGET_SEC
                rendered = _render([(source, display) for _, source, display in todo], deadline)
                for (index, _, _), result in zip(todo, rendered, strict=True):
                    if isinstance(result, str):
                        results[index] = result
                    else:
                        last_errors[missing[index]] = result["error"]
                        if result["error"] == OUT_OF_TIME:
                            out_of_time.add(index)
            for index, (key, result) in enumerate(zip(missing, results, strict=True)):
                found[key] = result
                if index not in out_of_time:
                    _cache[key] = result
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            while len(last_errors) > CACHE_SIZE:
                last_errors.pop(next(iter(last_errors)))
        return [found[key] for key in keys]


# ---- What KaTeX does not take as authors write it ------------------------------------
# The seed corpus needs none of this (its math was written for remark-math + KaTeX, and
# all 1,328 distinct formulas render as they are): these are the LaTeX/MathJax habits
# KaTeX 0.19 refuses or renders wrongly, for content written in the admin.

# AMS display environments → their inline-capable forms: KaTeX refuses align, gather,
# equation… in inline math, and in display math numbers them "(1)" per formula (every
# formula of a page would be (1)). The layout is the same (KaTeX uses one handler).
# eqnarray (unknown to KaTeX) is an rcl array of display-style cells: darray.
_ENVIRONMENTS = {
    "align": "aligned", "align*": "aligned", "split": "aligned",
    "alignat": "alignedat", "alignat*": "alignedat",
    "gather": "gathered", "gather*": "gathered", "multline": "gathered", "multline*": "gathered",
    "eqnarray": "darray", "eqnarray*": "darray", "equation": "", "equation*": "",
}
_ENVIRONMENT = re.compile(r"\\(begin|end)\{(align|alignat|gather|multline|eqnarray|equation|split)(\*?)\}")
# MathJax/LaTeX commands with nothing to show on a page (\require loads MathJax
# extensions; mhchem is always loaded here) or that KaTeX lacks under that name.
_DROPPED = re.compile(r"\\(?:require|label)\{[^{}]*\}")
_MBOX = re.compile(r"\\mbox(?![A-Za-z])")
_TOKEN = re.compile(r"\\begin\{[^}]*\}|\\end\{[^}]*\}|\\[A-Za-z]+|\\.|[{}&]")


def _environment(match: re.Match) -> str:
    command, name = match.group(1), match.group(2) + match.group(3)
    target = _ENVIRONMENTS[name]
    if not target:
        return ""
    suffix = "{rcl}" if command == "begin" and target == "darray" else ""
    return f"\\{command}{{{target}}}{suffix}"


def _has_top_level_ampersand(latex: str) -> bool:
    depth = 0
    for token in _TOKEN.findall(latex):
        if token == "{" or token.startswith("\\begin"):
            depth += 1
        elif token == "}" or token.startswith("\\end"):
            depth -= 1
        elif token == "&" and depth == 0:
            return True
    return False


def prepare(latex: str, display: bool) -> str | None:
    """The formula as KaTeX should see it, or None when it is not worth trying."""
    source = latex.strip()
    if not source or len(source) > MAX_FORMULA_CHARS:
        return None
    if "\\begin" in source:
        source = _ENVIRONMENT.sub(_environment, source)
    if "\\require" in source or "\\label" in source:
        source = _DROPPED.sub("", source)
    if "\\mbox" in source:
        source = _MBOX.sub(r"\\text", source)
    # "a &= b \\ c &= d" with no environment: the rows of an aligned block, as MathJax
    # and remark-math users write them. KaTeX refuses a bare "&".
    if "&" in source and _has_top_level_ampersand(source):
        source = f"\\begin{{aligned}}{source}\\end{{aligned}}"
    return source
