"""Dates shown the way the seeds ask: moment.js format strings such as "MMM DD, YYYY"."""
import datetime
import re
from functools import lru_cache

from django.utils import dateformat

# moment.js token → Django date-format character(s). Longest tokens first so "MMMM" wins over "MM".
MOMENT_TOKENS = {
    "YYYY": "Y", "YY": "y",
    "MMMM": "F", "MMM": "M", "MM": "m", "M": "n",
    "Do": "jS", "DD": "d", "D": "j",
    "dddd": "l", "ddd": "D", "d": "w",
    "HH": "H", "H": "G", "hh": "h", "h": "g", "mm": "i", "ss": "s", "A": "A", "a": "a",
}  # fmt: skip
_TOKEN = re.compile(r"\[[^\]]*\]|" + "|".join(sorted(MOMENT_TOKENS, key=len, reverse=True)) + r"|.", re.S)


@lru_cache(maxsize=64)
def moment_to_django(moment_format: str) -> str:
    """Translate a moment.js format into a Django ``date`` format: "MMM DD, YYYY" → "M d, Y".

    Text in [brackets] and every character that is not a token is kept literally
    (backslash-escaped, since any letter means something to Django).
    """
    out = []
    for token in _TOKEN.findall(moment_format):
        if token in MOMENT_TOKENS:
            out.append(MOMENT_TOKENS[token])
        else:
            literal = token[1:-1] if token.startswith("[") and token.endswith("]") and len(token) > 1 else token
            out.append("".join("\\" + c if c.isalpha() or c == "\\" else c for c in literal))
    return "".join(out)


def format_moment(value: datetime.date, moment_format: str) -> str:
    """Format a date (or datetime) with a moment.js format string."""
    if not isinstance(value, datetime.datetime):
        # Django refuses time specifiers for plain dates; midnight keeps "HH:mm" formats working.
        value = datetime.datetime.combine(value, datetime.time.min)
    return dateformat.format(value, moment_to_django(moment_format or "MMM DD, YYYY"))
