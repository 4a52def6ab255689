"""The KaTeX engine (qa.rendering.katex): output, refusals, bounds, the cache, and fork safety."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from qa.rendering import katex
from tests.processes import ROOT


@pytest.fixture(autouse=True)
def fresh_cache():
    katex._cache.clear()
    yield
    katex._cache.clear()


def test_refused_formula_is_none():
    assert katex.typeset([(r"\frac{1}{", False), (r"\nosuchcommand x", True), ("x", False)])[:2] == [None, None]
    assert "Undefined control sequence" in katex.last_errors[(r"\nosuchcommand x", True)]


def test_output_has_html_and_mathml():
    (html,) = katex.typeset([(r"\frac{a}{b}", False)])
    assert 'class="katex-html"' in html and "<math" in html
    assert '<annotation encoding="application/x-tex">\\frac{a}{b}</annotation>' in html
    (display,) = katex.typeset([("x", True)])
    assert display.startswith('<span class="katex-display">')


def test_mhchem_renders_ce():
    (html,) = katex.typeset([(r"\ce{2H2 + O2 -> 2H2O}", False)])
    assert html is not None
    assert html.count("<msub>") == 3  # the three subscript 2s, set by mhchem
    assert "→" in html and "x-arrow" in html  # "->" became a reaction arrow


def test_gdef_does_not_leak():
    first, second = katex.typeset([(r"\gdef\leak{1}\leak", False), (r"\leak", False)])
    assert first is not None and second is None
    katex._cache.clear()
    assert katex.typeset([(r"\leak", True)]) == [None]  # nor into a later call


@pytest.mark.parametrize("formula", [
    r"\def\a{\a\a}\a",
    r"\underbrace{" * 200 + "x" + "}_{a}" * 200,  # 0.5 MB of HTML
    r"\ce{" + "A2B3 + " * 600 + "}",  # 1.6 MB of HTML
    "{" * 4000 + "}" * 4000,  # longer than MAX_FORMULA_CHARS
])
def test_hostile_formula_is_bounded(formula):
    start = time.perf_counter()
    assert katex.typeset([(formula, False)]) == [None]
    assert time.perf_counter() - start < 1.0


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_timeout_costs_only_the_slow_formula(monkeypatch):
    # A \slow formula spins forever in JS, in every context made while patched.
    monkeypatch.setattr(katex, "_TYPESET_JS", katex._TYPESET_JS + r"""
        var __render = katex.renderToString;
        katex.renderToString = function (s, o) { if (s.indexOf("\\slow") >= 0) { for (;;) {} } return __render(s, o); };
    """)
    with katex._lock:
        katex._reset_engine()
    start = time.perf_counter()
    results = katex.typeset([("a", False), (r"\slow", False), ("b", True)])
    elapsed = time.perf_counter() - start
    assert results[0] and results[2] and results[1] is None
    assert "limit" in katex.last_errors[(r"\slow", False)]
    assert elapsed < katex.TYPESET_BUDGET_SEC + 0.5  # batch timeout + one formula timeout + fresh contexts
    with katex._lock:
        katex._reset_engine()  # drop the patched context


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_many_slow_formulas_share_one_time_budget_and_are_tried_again_later(monkeypatch):
    # The attack: many formulas that each take KaTeX a long time (real ones: \def expansions).
    monkeypatch.setattr(katex, "_TYPESET_JS", katex._TYPESET_JS + r"""
        var __render = katex.renderToString;
        katex.renderToString = function (s, o) {
          if (s.indexOf("slowly") >= 0) { var t = Date.now(); while (Date.now() - t < 100) {} }
          return __render(s, o);
        };
    """)
    with katex._lock:
        katex._reset_engine()
    formulas = [(rf"\mathrm{{slowly}} x_{{{i}}}", False) for i in range(100)]  # 10 s of KaTeX without the budget
    start = time.perf_counter()
    results = katex.typeset(formulas)
    elapsed = time.perf_counter() - start
    assert elapsed < katex.TYPESET_BUDGET_SEC + 0.5
    assert results.count(None) > 80  # shown as their source
    assert katex.last_errors[formulas[-1]] == katex.OUT_OF_TIME
    assert formulas[-1] not in katex._cache  # not remembered as refused: the next render tries again
    assert katex.typeset([formulas[-1]])[0]
    with katex._lock:
        katex._reset_engine()


def test_cache_hit_does_not_call_v8(monkeypatch):
    calls = []
    real_run = katex._Engine.run
    monkeypatch.setattr(katex._Engine, "run", lambda self, items, timeout: calls.append(items) or real_run(self, items, timeout))
    first = katex.typeset([("x^2", False), ("y", False), ("x^2", False)])
    assert calls == [[("x^2", False), ("y", False)]]  # one V8 call, each distinct formula once
    assert katex.typeset([("y", False), ("x^2", False)]) == [first[1], first[0]]
    assert len(calls) == 1
    katex.typeset([("y", False), ("z", False)])
    assert calls[1] == [("z", False)]  # only the uncached one goes to V8


def test_fork_child_gets_its_own_context():
    katex.typeset([("x", False)])
    parent_engine = katex._engine
    assert parent_engine is not None and parent_engine.pid == os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: must not reuse (or close) the parent's V8
        try:
            os.close(read)
            katex._cache.clear()
            (html,) = katex.typeset([(r"\sqrt{2}", False)])
            ok = html is not None and katex._engine.pid == os.getpid() and katex._engine is not parent_engine
            os.write(write, b"ok" if ok else b"bad")
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the child hung on V8")
    assert os.read(read, 10) == b"ok" and status == 0
    # The parent closed its context before forking and makes a new one when needed.
    assert katex._engine is None
    katex._cache.clear()
    assert katex.typeset([("y", False)])[0] is not None and katex._engine.pid == os.getpid()


def test_forked_children_exit_cleanly():
    """A child inheriting a live context hangs even on a plain exit: the hooks prevent it.

    Both children end with a normal interpreter shutdown (sys.exit), as gunicorn
    workers do: one typesets, one never touches KaTeX.
    """
    script = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, sys.argv[1])
        from qa.rendering import katex
        assert katex.typeset([("x", False)])[0]
        for render in (True, False):
            pid = os.fork()
            if pid == 0:
                if render:
                    assert katex.typeset([("y", True)])[0]
                sys.exit(0)
            assert os.waitpid(pid, 0)[1] == 0
        assert katex.typeset([("z", False)])[0]
        print("done")
    """)
    result = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr


def test_missing_node_modules_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(katex, "NODE_MODULES", tmp_path / "node_modules")
    with katex._lock:
        katex._reset_engine()
    with pytest.raises(RuntimeError, match=r"node_modules/katex/dist/katex\.min\.js is missing.*npm ci"):
        katex.typeset([("x", False)])


@pytest.mark.parametrize("source, display, prepared", [
    (r"a &= b \\ c &= d", False, r"\begin{aligned}a &= b \\ c &= d\end{aligned}"),
    (r"\begin{align} a &= b \end{align}", True, r"\begin{aligned} a &= b \end{aligned}"),
    (r"\begin{equation} E = mc^2 \end{equation}", False, r" E = mc^2 "),
    (r"\begin{eqnarray*} a &=& b \end{eqnarray*}", True, r"\begin{darray}{rcl} a &=& b \end{darray}"),
    (r"\require{mhchem}\ce{H2O}", False, r"\ce{H2O}"),
    (r"\mbox{if } x > 0", False, r"\text{if } x > 0"),
    (r"\begin{pmatrix} a & b \end{pmatrix}", True, r"\begin{pmatrix} a & b \end{pmatrix}"),
    (r"x \& y", False, r"x \& y"),
])
def test_prepare_rewrites_what_katex_refuses(source, display, prepared):
    assert katex.prepare(source, display) == prepared
    assert katex.typeset([(source, display)])[0] is not None


def test_numbered_environments_get_no_number():
    (html,) = katex.typeset([(r"\begin{align} a &= b \\ c &= d \end{align}", True)])
    assert "eqn-num" not in html


def test_one_call_with_more_formulas_than_the_cache_holds(monkeypatch):
    monkeypatch.setattr(katex, "CACHE_SIZE", 8)
    formulas = [(f"x_{{{n}}}", False) for n in range(20)]
    typeset = katex.typeset(formulas)
    assert all(result and f">{n}<" in result for n, result in enumerate(typeset))
    assert len(katex._cache) == 8
