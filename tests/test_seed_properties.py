"""Properties of the seed parser: whatever the input, parse_seed returns a Seed the database can
hold, or raises SeedError, and nothing else."""
import datetime
import json
import math
import re

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.imports.seedfile import TEXT_LIMITS, Seed, SeedError, parse_seed
from qa.models import MAX_RELATED
from tests.factories import factory

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BIGINT = 2**63  # the range of a BigIntegerField column
ARTICLE_URL = re.compile(r"/learn/[a-z0-9-]{1,100}/questions/[a-z0-9-]{1,255}")  # checked with fullmatch


def parse_or_refuse(data: bytes):
    """parse_seed's result, or None when it refused with SeedError; anything else propagates."""
    try:
        seed = parse_seed(data)
    except SeedError as exc:
        assert str(exc) and "\n" not in exc.reason.strip(), repr(exc.reason)
        return None
    assert_storable(seed)
    return seed


def assert_storable(seed: Seed):
    """What the importer writes from a Seed fits the model's columns."""
    assert ARTICLE_URL.fullmatch(seed.url)
    assert seed.url == f"/learn/{seed.subject_slug}/questions/{seed.slug}"
    assert isinstance(seed.source_id, int) and -BIGINT <= seed.source_id < BIGINT
    assert isinstance(seed.date, datetime.date)
    assert seed.title and seed.question and seed.answer
    for name in ("title", "article_title", "author", "date_format", "post_on_text"):
        assert isinstance(getattr(seed, name), str)
        assert len(getattr(seed, name)) <= TEXT_LIMITS[name]
    assert seed.score is None or (isinstance(seed.score, float) and math.isfinite(seed.score))
    assert isinstance(seed.no_index, bool)
    positions = [r.position for r in seed.related]
    assert len(set(positions)) == len(positions) and all(1 <= p <= MAX_RELATED for p in positions)
    for link in seed.related:
        assert ARTICLE_URL.fullmatch(link.url) and link.url != seed.url
        assert link.source_id is None or -BIGINT <= link.source_id < BIGINT
    # The JSON column takes extra, and no text holds what PostgreSQL refuses.
    stored = json.dumps([seed.extra, {k: v for k, v in vars(seed).items() if k not in ("date", "related", "extra")},
                         [vars(link) for link in seed.related]], allow_nan=False)
    assert "\\u0000" not in stored


VALID = factory.seed_text("biology", "what-is-dna", related=[("chemistry", "what-is-an-acid")]).encode("utf-8")


@FAST
@given(st.binary(max_size=2000))
@example(b"\xef\xbb\xbf---\r\n---\r\n")
@example(b"---\n\x85---\n")
def test_any_bytes_parse_or_fail_with_seed_error(data):
    parse_or_refuse(data)


@FAST
@given(st.binary(max_size=500))
def test_any_bytes_as_front_matter_parse_or_fail_with_seed_error(data):
    parse_or_refuse(b"---\n" + data + b"\n---\n\n&nbsp;")


# YAML's own syntax, for front matter that is almost, but not quite, YAML.
YAML_TOKENS = [
    "\n", "\n  ", "\n    ", "\n- ", ": ", ":", "- ", "? ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b",
    "!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!timestamp ", "!!int ", "!!float ", "!!bool ", "!!str ",
    "!!null ", "!!map ", "!!seq ", "!!python/object:os.system ", "!custom ", "<<: ", "<<: *a", "'", '"', "|",
    ">-", "|+", ">2", "#", " #", "%YAML 1.1\n", "---", "...", "~", "null", "yes", "no", "True", ".nan", ".inf",
    "-.inf", "0x1F", "0o17", "1_000", "1e400", "9" * 25, "-1.0", "2025-01-24", "2025-02-30", "2025-13-01",
    "2025-01-24 10:00:00", "2025-01-24T10:00:00+25:00", "1:20:30", "\\n", "\\x00", "\\u2028", "\t", "\x85",
    "\u2028", "\ufeff", "é", "\U0001f600", "<script>", "javascript:",
]
KEYS = ["_schema", "id", "date", "title", "article_title", "date_format", "post_on_text", "seo", "author",
        "question", "answer", "subject", "file_name", "url", "score", "no_index", "related_article1",
        "related_article5", "related_article6", "related_article01", "related_article0", "page_description"]
VALUES = ["/learn/biology/questions/what-is-dna", "/learn/chemistry/questions/an-acid", "/learn/A/questions/b",
          "what-is-dna.md", "../x.md", "1001", "Question?"]
yamlish = st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.sampled_from(KEYS), st.sampled_from(VALUES),
                             st.text(max_size=5)), max_size=60).map("".join)


@FAST
@given(yamlish)
def test_yaml_ish_front_matter_parses_or_fails_with_seed_error(front_matter):
    parse_or_refuse(("---\n" + front_matter + "\n---\n\n&nbsp;").encode("utf-8", "surrogatepass"))


@FAST
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 8), st.binary(max_size=8)), min_size=1, max_size=6))
def test_a_damaged_seed_file_parses_or_fails_with_seed_error(edits):
    data = VALID
    for position, cut, insert in edits:
        data = data[:position] + insert + data[position + cut :]
    parse_or_refuse(data)


@FAST
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 8), st.sampled_from(YAML_TOKENS)), min_size=1, max_size=6))
def test_a_seed_file_with_yaml_syntax_spliced_in_parses_or_fails_with_seed_error(edits):
    text = VALID.decode("utf-8")
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut :]
    parse_or_refuse(text.encode("utf-8"))


# Every key the parser reads, given each value YAML can be talked into producing.
HOSTILE_VALUES = [
    "2025-02-30", "2025-13-01", "2025-01-24 10:00:00", "2025-01-24T10:00:00+25:00", "1:20:30", "!!int abc",
    "!!float abc", "!!bool nope", "!!timestamp nope", "!!binary aGk=", "!!binary '!!'", "!!set {a, b}",
    "!!omap [a]", "!!pairs [a]", "!!python/object:os.system {}", "!custom x", ".nan", ".inf", "-.inf",
    "1.0e+400", "9" * 25, "-" + "9" * 25, "0x1F", "0o17", "1_000", "~", "null", "yes", "True", "''", "[]", "{}",
    "[1, [2, [3]]]", "{a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}}", "&a [1]", "*nope", "'unterminated",
    '"\\x00"', '"a\\0b"', '"\\ud800"', '"\\u2028"', '"\\x85"', "|\n  block\n", ">-\n  folded", "<script>",
    "/learn/biology/questions/what-is-dna", '"/learn/a/questions/b\\n"', "/learn/a/questions/" + "b" * 300,
    "{url: /learn/biology/questions/what-is-dna}", "{url: /learn/x/questions/y, id: 99999999999999999999}",
    "{url: /learn/x/questions/y, id: .nan}", "{url: /learn/x/questions/y, title: [1]}",
    "{url: /learn/x/questions/y, title: !!binary aGk=}", "{<<: {url: /learn/x/questions/y}}", "x" * 600,
]
KEYS_TOO = ["extra_key", "related_article2", "? related_article" + "9" * 5000 + "\n"]


def test_every_key_with_every_hostile_value_parses_or_fails_with_seed_error():
    base = VALID.decode("utf-8")
    keys = [k for k in KEYS if k != "page_description"] + KEYS_TOO
    for key in keys:
        for value in HOSTILE_VALUES:
            line = f"{key}: {value}\n"
            # Replace the key's line where the file has one, else add it before the closing '---'.
            text = re.sub(rf"^{re.escape(key)}:.*\n(?:  .*\n)*", lambda m, line=line: line, base, count=1, flags=re.MULTILINE)
            if text == base:
                text = base.replace("\n---\n", "\n" + line + "---\n", 1)
            parse_or_refuse(text.encode("utf-8"))


# Well-formed YAML whose values have any type, for every key the parser reads.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=20),
    st.dates(), st.datetimes(), st.sampled_from(VALUES), st.binary(max_size=4),
)
values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)


@FAST
@given(overrides=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), values, min_size=1, max_size=2))
def test_front_matter_with_values_of_any_type_parses_or_fails_with_seed_error(overrides):
    front = yaml.safe_load(VALID.decode("utf-8").split("---\n")[1])
    front.update(overrides)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n&nbsp;"
    parse_or_refuse(text.encode("utf-8", "surrogatepass"))


def test_the_valid_seed_used_above_parses():
    assert parse_or_refuse(VALID) is not None
