"""Reading seed files: YAML front matter between ``---`` lines, then a placeholder body."""
import datetime as _dt
import hashlib
import math
import re
from dataclasses import dataclass, field

import yaml

from qa.models import MAX_RELATED, SEO, Question, RelatedArticle, Subject
from qa.nonanswers import is_non_answer
from qa.paths import ARTICLE_PATH
from qa.rendering.markdown import MAX_ANSWER_CHARS

# LaTeX commands that begin with "n": in an answer, "\n" followed by one of these
# (as a whole word) is the command, not a line break.  "\t" is never a tab.
LATEX_N_COMMANDS = (
    "nabla natural nearrow neg negthickspace negthinspace negmedspace neq neq nexists "
    "newcommand newline ngeq ngeqq ngtr ni nleftarrow nleftrightarrow nleq nleqq nless nmid "
    "nolimits nonumber normalsize not notin nparallel nprec npreceq nrightarrow nshortmid "
    "nsim nsubseteq nsucc nsucceq nsupseteq ntriangleleft ntriangleright nu nvdash nwarrow "
    "ncong ne"
).split()
_LATEX_N = "|".join(sorted(set(LATEX_N_COMMANDS), key=len, reverse=True))
_LINE_BREAK = re.compile(rf"\\(?!(?:{_LATEX_N})(?![A-Za-z]))n")
# A real line break that may be written as "\n": not one before a line that starts like the rest
# of such a command ("u = 1", "i) first"), which would read back as \nu or \ni.
_LATEX_N_TAILS = "|".join(c[1:] for c in _LATEX_N.split("|"))
_ENCODABLE_BREAK = re.compile(rf"\n(?!(?:{_LATEX_N_TAILS})(?![A-Za-z]))")


def decode_answer(raw: str) -> str:
    r"""Turn the seed's two-character ``\n`` into real line breaks, keeping LaTeX such as ``\nu``."""
    return _LINE_BREAK.sub("\n", raw)


def encode_answer(body: str) -> str:
    r"""The inverse of :func:`decode_answer`: real line breaks back to ``\n``.

    A break that ``\n`` would turn into a LaTeX command stays a real line break: YAML keeps it
    and :func:`decode_answer` leaves it alone. Lossy only for a body that holds the two
    characters backslash-n itself (not as LaTeX): they read back as a line break.
    """
    return _ENCODABLE_BREAK.sub(r"\\n", body.replace("\r\n", "\n"))

# The largest real seed file is 6.9 KB (the mean 4.5 KB), the largest answer 4,397 characters:
# 128 KB and 30,000 characters (qa.rendering.markdown.MAX_ANSWER_CHARS) leave ample room, and
# the worst answer that fits renders in well under 2 s (bench/bench_render_worst.py).
MAX_SEED_BYTES = 128 * 1024
MAX_NESTING = 8
MAX_WARNINGS = 20  # a file's warnings shown one by one; the rest are counted
RELATED_KEY = re.compile(r"^related_article([0-9]{1,9})\Z")  # bounded: int() refuses 4,300+ digits


def _max_length(model, field):
    return model._meta.get_field(field).max_length


# The widest values the database columns take: a longer one is refused here, never cut.
MAX_SUBJECT_SLUG, MAX_SLUG = _max_length(Subject, "slug"), _max_length(Question, "slug")
MAX_SEO_TITLE = _max_length(SEO, "title")
MAX_ID = 2**63 - 1  # BigIntegerField
REQUIRED = ("id", "date", "title", "question", "answer", "url")
TEXT_LIMITS = {
    **{key: _max_length(Question, key) for key in ("title", "article_title", "author", "date_format", "post_on_text")},
    "subject": _max_length(RelatedArticle, "target_subject"),
    "file_name": 300,  # kept in Question.extra (JSON); a file name longer than this is no real one
}
# Front-matter keys with a column (or a table) of their own; everything else is kept in `extra`.
KNOWN_KEYS = {
    "id", "date", "title", "article_title", "date_format", "post_on_text", "seo", "author",
    "question", "answer", "url", "score", "no_index",
}


class SeedError(ValueError):
    """A seed file that cannot be imported, with the reason a person can act on."""

    def __init__(self, reason, line=None):
        self.reason, self.line = reason, line
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass
class RelatedSeed:
    position: int
    url: str
    title: str = ""
    subject: str = ""
    source_id: int | None = None


@dataclass
class Seed:
    url: str
    subject_slug: str
    slug: str
    source_id: int
    date: _dt.date
    title: str
    question: str
    answer: str
    article_title: str = ""
    author: str = ""
    date_format: str = "MMM DD, YYYY"
    post_on_text: str = "Posted on"
    score: float | None = None
    no_index: bool = False
    seo_title: str = ""
    seo_description: str = ""
    seo_keywords: str = ""
    related: list[RelatedSeed] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # the optional parts left out, and why


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_front_matter(text: str) -> tuple[str, str]:
    """Return (front matter, body) of a seed's text, line endings already normalised."""
    if not text.strip():
        raise SeedError("the file is empty")
    if not text.startswith("---\n"):
        raise SeedError("no front matter: the file must start with a '---' line")
    end = re.search(r"^---[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        raise SeedError("the front matter is not closed by a '---' line")
    return text[4 : 4 + end.start()], text[4 + end.end() :]


def decode_bytes(data: bytes) -> str:
    if b"\x00" in data:
        raise SeedError(f"contains a NUL byte at offset {data.index(0)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedError(f"not UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml(front_matter: str) -> dict:
    try:
        data = yaml.load(front_matter, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # +1: the opening '---' is line 1 of the file.
        line = mark.line + 2 if mark else None
        reason = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise SeedError(f"YAML error: {reason}", line=line) from None
    except yaml.reader.ReaderError as exc:
        # libyaml reads UTF-8, so its position is a byte offset.
        line = front_matter.encode("utf-8").count(b"\n", 0, exc.position) + 2
        character = f" (character #x{exc.character:04x})" if isinstance(exc.character, int) else ""
        raise SeedError(f"YAML error: {exc.reason}{character}", line=line) from None
    except yaml.YAMLError as exc:
        raise SeedError(f"YAML error: {' '.join(str(exc).split())}") from None
    except Exception as exc:  # noqa: BLE001
        # PyYAML's constructors raise plain ValueError, KeyError… for a bad tagged or
        # implicit value (`date: 2025-02-30`, `id: !!int abc`, `x: !!bool nope`).
        raise SeedError(f"YAML error: a value cannot be read ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(data, dict):
        raise SeedError("the front matter is not a mapping of keys to values")
    _check_structure(data)
    return data


def _check_structure(value, depth=0, seen=None):
    """Refuse aliases (they let a few bytes expand without bound), deep nesting, and NUL
    characters written as a YAML escape ("\\0"), which PostgreSQL cannot store."""
    if depth > MAX_NESTING:
        raise SeedError(f"the front matter is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, str) and "\x00" in value:
        raise SeedError("contains a NUL character (a \\0 or \\x00 escape)")
    if isinstance(value, (dict, list)):
        seen = set() if seen is None else seen
        if id(value) in seen:
            raise SeedError("YAML anchors and aliases are not allowed")
        seen.add(id(value))
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        for child in children:
            _check_structure(child, depth + 1, seen)


def _text(data, key, default="", *, name=None, limit=None):
    name = name or key
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SeedError(f"'{name}' must be text, not {_type_name(value)}")
    value = str(value).strip()
    limit = limit or TEXT_LIMITS.get(key)
    if limit and len(value) > limit:
        raise SeedError(f"'{name}' is longer than {limit} characters")
    return value


def _type_name(value):
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _int(data, key, required=True, name=None):
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_ID - 1 <= value <= MAX_ID:
        raise SeedError(f"'{name or key}' must be a whole number of at most 19 digits, not {value!r}"[:200])
    return value


def _date(data):
    value = data["date"]
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise SeedError(f"'date' must be a date like 2025-01-24, not {value!r}"[:200]) from None


def _url(value, key="url"):
    if not isinstance(value, str):
        raise SeedError(f"'{key}' must be text, not {_type_name(value)}")
    match = ARTICLE_PATH.match(value)
    if not match:
        raise SeedError(
            f"'{key}' {value[:200]!r} is not of the form /learn/<subject>/questions/<slug> "
            "(lowercase letters, digits and hyphens)"
        )
    if len(match.group(1)) > MAX_SUBJECT_SLUG or len(match.group(2)) > MAX_SLUG:
        raise SeedError(
            f"'{key}' is too long: at most {MAX_SUBJECT_SLUG} characters for the subject "
            f"and {MAX_SLUG} for the slug"
        )
    return match


def _jsonable(value, key):
    """The value as JSON can keep it in ``extra``; SeedError for what it cannot (!!binary, !!set, .nan)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v, key) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise SeedError(f"{key!r} holds {value}, which cannot be stored")
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise SeedError(f"{key!r} holds {_type_name(value)}, which cannot be stored")


def too_large(size: int) -> str:
    return f"the file is larger than {MAX_SEED_BYTES // 1024} KB ({size:,} bytes)"


def _answer(fm) -> str:
    answer = decode_answer(_text(fm, "answer"))
    if len(answer) > MAX_ANSWER_CHARS:
        raise SeedError(f"'answer' is longer than {MAX_ANSWER_CHARS:,} characters ({len(answer):,})")
    return answer


class _Warnings(list):
    """The defects of a file's optional parts: each costs that part only, and is said here.

    At most MAX_WARNINGS are kept, then one line counting the rest: a hostile file with thousands
    of bad keys gives a readable report, not thousands of lines.
    """

    left_out = 0

    def append(self, warning):
        if len(self) < MAX_WARNINGS:
            super().append(warning)
        else:
            self.left_out += 1

    def said(self) -> list[str]:
        return [*self, f"{self.left_out} more warnings left out"] if self.left_out else list(self)

    def keep(self, key, default, read, *args, **kwargs):
        """``read(*args, **kwargs)``, or ``default`` and a warning naming ``key`` when it raises SeedError."""
        try:
            return read(*args, **kwargs)
        except SeedError as exc:
            self.append(f"{exc.reason}; ignored" if str(key) in exc.reason else f"'{key}': {exc.reason}; ignored")
            return default


def parse_seed(data: bytes) -> Seed:
    """Parse one seed file's bytes into a :class:`Seed`, or raise :class:`SeedError`.

    A file is refused only when the article itself cannot be stored faithfully: unreadable bytes,
    no front matter, a required field missing or unstorable. A defect in an optional part (an SEO
    field, a related link, the score, an unknown key...) drops that part and adds a warning to
    ``seed.warnings``, naming the key and the reason.
    """
    if len(data) > MAX_SEED_BYTES:
        raise SeedError(too_large(len(data)))
    front_matter, _body = split_front_matter(decode_bytes(data))
    fm = load_yaml(front_matter)
    # Blank counts as missing: the text fields are stripped ("\u2028" or "  " is no title).
    missing = [key for key in REQUIRED if fm.get(key) is None or str(fm[key]).strip() == ""]
    if missing:
        raise SeedError(f"missing required field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    match = _url(fm["url"])
    warnings = _Warnings()
    seo = warnings.keep("seo", {}, _seo, fm)

    seed = Seed(
        url=fm["url"],
        subject_slug=match.group(1),
        slug=match.group(2),
        source_id=_int(fm, "id"),
        date=_date(fm),
        title=_text(fm, "title"),
        question=_text(fm, "question"),
        answer=_answer(fm),
        article_title=warnings.keep("article_title", "", _text, fm, "article_title"),
        author=warnings.keep("author", "", _text, fm, "author"),
        date_format=warnings.keep("date_format", "", _text, fm, "date_format", "MMM DD, YYYY") or "MMM DD, YYYY",
        post_on_text=warnings.keep("post_on_text", "Posted on", _text, fm, "post_on_text", "Posted on"),
        score=warnings.keep("score", None, _score, fm),
        no_index=warnings.keep("no_index", False, _no_index, fm),
        seo_title=warnings.keep("seo.title", "", _text, seo, "title", name="seo.title", limit=MAX_SEO_TITLE),
        seo_description=warnings.keep("seo.page_description", "", _text, seo, "page_description", name="seo.page_description"),
        seo_keywords=warnings.keep("seo.page_keywords", "", _text, seo, "page_keywords", name="seo.page_keywords"),
    )
    positions = set()
    for key, value in fm.items():
        related = RELATED_KEY.match(str(key))
        if related:
            link = warnings.keep(key, None, _related, int(related.group(1)), key, value, seed.url)
            if link is not None and link.position in positions:
                warnings.append(f"'{key}': a second related article at position {link.position}; ignored")
            elif link is not None:
                positions.add(link.position)
                seed.related.append(link)
        elif key == "file_name":
            if warnings.keep(key, "", _file_name, fm):
                seed.extra[key] = _jsonable(value, key)
        elif key not in KNOWN_KEYS:
            kept = warnings.keep(key, _UNSTORABLE, _jsonable, value, key)
            if kept is not _UNSTORABLE:
                seed.extra[str(key)] = kept
    seed.related.sort(key=lambda r: r.position)
    if not seed.no_index and is_non_answer(seed.answer):
        seed.no_index = True
        warnings.append("'answer' declines to answer (\"I cannot answer this question based on…\"); marked no_index")
    seed.warnings = warnings.said()
    return seed


_UNSTORABLE = object()


def _seo(fm) -> dict:
    seo = fm.get("seo") or {}
    if not isinstance(seo, dict):
        raise SeedError(f"'seo' must be a mapping with title, page_description and page_keywords, not {_type_name(seo)}")
    return seo


def _score(fm) -> float | None:
    score = fm.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score)):
        raise SeedError(f"'score' must be a number, not {score!r}"[:200])
    return float(score) if score is not None else None


def _no_index(fm) -> bool:
    no_index = fm.get("no_index", False)
    if not isinstance(no_index, bool):
        raise SeedError(f"'no_index' must be true or false, not {no_index!r}"[:200])
    return no_index


def _file_name(fm) -> str:
    file_name = _text(fm, "file_name")
    if file_name and ("/" in file_name or "\\" in file_name or file_name.startswith(".")):
        raise SeedError(f"'file_name' {file_name!r} must be a plain file name")
    return file_name


def _related(position, key, value, own_url):
    if not 1 <= position <= MAX_RELATED:
        raise SeedError(f"at most {MAX_RELATED} related articles (related_article1..{MAX_RELATED}); found '{key}'")
    if not isinstance(value, dict):
        raise SeedError(f"'{key}' must be a mapping with id, title, subject and url, not {_type_name(value)}")
    if value.get("url") is None:
        raise SeedError(f"'{key}' has no url")
    _url(value["url"], f"{key}.url")
    if value["url"] == own_url:
        raise SeedError(f"'{key}' points to the article itself")
    return RelatedSeed(
        position=position,
        url=value["url"],
        title=_text(value, "title", name=f"{key}.title"),
        subject=_text(value, "subject", name=f"{key}.subject"),
        source_id=_int(value, "id", required=False, name=f"{key}.id"),
    )
