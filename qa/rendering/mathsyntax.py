r"""Markdown-it rules for the math the seeds use: ``$…$``, ``$$…$$``, ``\(…\)`` and ``\[…\]``.

The seeds were written for remark-math, which takes any ``$…$`` pair as math, while
answers also quote prices ("a unit at $7.25 … equipment for $26,000"). An inline
``$…$`` is math unless the closing ``$`` is followed by a digit or the pair is tight
inside its opening and padded inside its closing:

* tight on both sides, ``$x^2$`` (pandoc's rule),
* padded on both sides, ``$ \Delta H $`` (remark-math's spaced style), or
* padded opening, tight closing, ``$ -1 < x < 7$``.

A price never matches: the next ``$`` after ``$7.25`` is the start of another amount,
so it is preceded by a space (``$7.25 … for $26,000``: tight opening, padded closing)
or followed by a digit (``$5–$10``).

Display math is ``$$…$$`` or ``\[…\]``, as a block on its own lines (also indented
inside list items) or within a paragraph. Blocks interrupt a paragraph, since the
seeds often write "the formula is:" directly above ``$$``.
"""
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

BLOCK_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"))
_BLOCK_OPENERS = frozenset(opener for opener, _ in BLOCK_DELIMITERS)
# A display block longer than this is not math: the cap keeps an unclosed ``$$`` in a
# huge hostile input from rescanning the rest of the document at every line.
MAX_BLOCK_LINES = 200


def math_plugin(md: MarkdownIt, render_math) -> None:
    """Add the math rules; ``render_math(latex, display, env) -> html`` typesets each formula."""
    md.block.ruler.before(
        "fence", "math_block", math_block, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    # Before "escape", which would otherwise turn ``\(`` into a literal "(".
    md.inline.ruler.before("escape", "math_inline", math_inline)

    def render_inline(self, tokens, idx, options, env):
        return render_math(tokens[idx].content, False, env)

    def render_inline_display(self, tokens, idx, options, env):
        return f'<span class="math-display">{render_math(tokens[idx].content, True, env)}</span>'

    def render_block(self, tokens, idx, options, env):
        return f'<div class="math-display">{render_math(tokens[idx].content, True, env)}</div>\n'

    md.add_render_rule("math_inline", render_inline)
    md.add_render_rule("math_inline_display", render_inline_display)
    md.add_render_rule("math_block", render_block)


def is_inline_formula(content: str, after: str) -> bool:
    """Whether ``$content$`` followed by the character ``after`` is math rather than prices."""
    if not content.strip() or after.isdigit():
        return False
    return content[0].isspace() or not content[-1].isspace()


def math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    # Cheap test first: this rule is tried on every line of every answer.
    if state.src[start : start + 2] not in _BLOCK_OPENERS or state.is_code_block(start_line):
        return False
    first = state.src[start : state.eMarks[start_line]].rstrip()
    opener, closer = next(((o, c) for o, c in BLOCK_DELIMITERS if first.startswith(o)), (None, None))
    if opener is None:
        return False

    rest = first[len(opener) :]
    if closer in rest:
        # One line. "$$ a $$ (for $a$)" is a paragraph with display math inside, not a block.
        if rest.find(closer) != len(rest) - len(closer):
            return False
        lines = [rest[: -len(closer)]]
        next_line = start_line + 1
    else:
        lines = [rest]
        next_line = start_line + 1
        last = min(end_line, start_line + MAX_BLOCK_LINES)
        while True:
            if next_line >= last:
                return False
            begin, end = state.bMarks[next_line] + state.tShift[next_line], state.eMarks[next_line]
            if begin < end and state.sCount[next_line] < state.blkIndent:
                return False  # the line leaves the enclosing list item or blockquote
            text = state.src[begin:end].rstrip()
            next_line += 1
            if text.endswith(closer):
                lines.append(text[: -len(closer)])
                break
            if closer in text:
                return False
            lines.append(text)
    content = "\n".join(lines)
    if not content.strip():
        return False
    if silent:
        return True

    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.map = [start_line, next_line]
    state.line = next_line
    return True


def math_inline(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    char = src[pos]
    if char == "\\":
        following = src[pos + 1 : pos + 2]
        if following == "(":
            closer, token_type = "\\)", "math_inline"
        elif following == "[":
            closer, token_type = "\\]", "math_inline_display"
        else:
            return False
        start = pos + 2
        end = _find_closer(state, closer, start)
        if end == -1 or not src[start:end].strip():
            return False
        after = end + 2
    elif char == "$":
        if src.startswith("$$", pos):
            start, token_type = pos + 2, "math_inline_display"
            end = _find_closer(state, "$$", start)
            if end == -1 or not src[start:end].strip():
                return False
            after = end + 2
        else:
            start, token_type = pos + 1, "math_inline"
            end = _find_closer(state, "$", start)
            if end == -1 or not is_inline_formula(src[start:end], src[end + 1 : end + 2]):
                return False
            after = end + 1
    else:
        return False

    if not silent:
        token = state.push(token_type, "math", 0)
        token.content = src[start:end]
        token.markup = src[pos:start]
    state.pos = after
    return True


def _find_closer(state: StateInline, closer: str, start: int) -> int:
    r"""Index of the first unescaped ``closer`` at or after ``start``, or -1.

    The position of the last occurrence is remembered on the state, so a paragraph full
    of unclosed ``\(`` is not rescanned to its end at every opener.
    """
    src = state.src
    last = state.__dict__.setdefault("math_last_closer", {})
    if closer not in last:
        last[closer] = src.rfind(closer)
    while start <= last[closer]:
        end = src.find(closer, start)
        if end == -1 or not _is_escaped(src, end):
            return end
        start = end + 1
    return -1


def _is_escaped(src: str, pos: int) -> bool:
    """Whether the character at ``pos`` follows an odd number of backslashes."""
    backslashes = 0
    while pos > 0 and src[pos - 1] == "\\":
        backslashes += 1
        pos -= 1
    return backslashes % 2 == 1
