"""How a speech is cited: the official short form ("HC Deb 28 March 2023, col 859"), OSCOLA and
BibTeX. The pages, the API and the exports all cite through `cite()`.

The column comes from the speech's official id where the record gives one: a ParlParse id
names its column ("uk.org.publicwhip/debate/2023-03-28d.859.2" is column 859 of the Commons
debates of 28 March 2023); Westminster Hall columns are numbered apart and printed "123WH",
written statements "12WS", written answers "34W".
"""

import datetime
import re
from dataclasses import dataclass

from .models import Speech

# The series of a ParlParse id, and how its columns are printed.
_PARLPARSE_ID = re.compile(
    r"uk\.org\.publicwhip/(?P<series>[a-z]+)/\d{4}-\d\d-\d\d[a-z]?\.(?P<column>\d+)\.\d+"
)
_COLUMN_SUFFIX = {"debate": "", "lords": "", "westminhall": "WH", "wms": "WS", "wrans": "W"}


@dataclass(frozen=True)
class Citation:
    short: str  # the official form: "HC Deb 28 March 2023, col 859"
    oscola: str
    bibtex: str
    url: str
    column: str  # "859", "123WH", or "" when the record does not say


def column_of(source_reference: str) -> str:
    """The printed column a speech's official id names, or "" if it names none."""
    found = _PARLPARSE_ID.search(source_reference)
    if not found or found["series"] not in _COLUMN_SUFFIX:
        return ""
    return f"{int(found['column'])}{_COLUMN_SUFFIX[found['series']]}"


def cite(speech: Speech, url: str, accessed: datetime.date | None = None) -> Citation:
    """The citations of `speech` (its debate and member loaded), linking to `url` (absolute:
    the speech, or one of its sentences)."""
    debate = speech.debate
    column = column_of(speech.source_reference)
    short = f"{debate.citation}, col {column}" if column else debate.citation
    accessed = accessed or datetime.date.today()
    accessed_text = f"{accessed.day} {accessed:%B %Y}"
    speaker = speech.display_speaker
    # OSCOLA cites Hansard by its short form; online, with the address and the day it was read.
    oscola = f"{short} <{url}> accessed {accessed_text}"
    title = f"{debate.title}: {speech.section}" if speech.section else debate.title
    fields = {
        "author": speaker if speech.member_id or speech.speaker_name else "",
        "title": title,
        "howpublished": short,
        "year": str(debate.date.year),
        "month": f"{debate.date:%b}".lower(),
        "day": str(debate.date.day),
        "url": url,
        "note": f"Accessed {accessed_text}",
    }
    key = f"{debate.get_house_display().split()[-1].lower()}{debate.date:%Y%m%d}s{speech.pk}"
    # A url is read verbatim (the url package): escaping its "#" would break the link.
    lines = [
        f"  {name} = {{{value if name == 'url' else _bibtex_escape(value)}}},"
        for name, value in fields.items()
        if value
    ]
    bibtex = "\n".join([f"@misc{{{key},", *lines, "}"])
    return Citation(short=short, oscola=oscola, bibtex=bibtex, url=url, column=column)


_BIBTEX_SPECIAL = str.maketrans(
    {"\\": r"\textbackslash{}", **{char: f"\\{char}" for char in "{}&%$#_"}}
)


def _bibtex_escape(value: str) -> str:
    """TeX's special characters escaped (braces too), so that any title is safe."""
    return value.translate(_BIBTEX_SPECIAL)
