"""What a person typed in the search box, understood.

    ceasefire "humanitarian pause" -hostages Gaza OR Israel speaker:mitchell party:labour

Words must all match; "quoted words" match as a phrase; -word or NOT word excludes; OR
between two items accepts either; `speaker:`, `party:`, `title:` (the debate's) and
`house:` restrict by who spoke, in which debate and where. Nothing typed here is an error:
stray quotes, lone operators, unknown prefixes and punctuation are read as plainly as
possible and explained in `notices`. Pure Python: `forms.SpeechSearchForm` turns a
`ParsedQuery` into Haystack calls.
"""

import re
from dataclasses import dataclass, field

from debates.choices import House

from .analysis import stems

MAX_QUERY_LENGTH = 500
PREFIXES = ("speaker", "party", "title", "house")
# The Houses `house:` narrows to.
HOUSES = (House.COMMONS, House.LORDS)
# A word: letters and digits, with inner apostrophes ("Member's") and dots ("hon.").
WORD = re.compile(r"\w+(?:['’.]\w+)*")
TOKEN = re.compile(
    r"""
    (?P<neg>-|NOT\s+)?                        # exclusion
    (?:(?P<prefix>[^\W\d_]+):(?=\S))?         # prefix:
    (?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))  # "a phrase" (closing quote optional) or a word
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    """A word, or several words that must appear together in this order."""

    text: str

    @property
    def is_phrase(self) -> bool:
        return " " in self.text

    def __str__(self) -> str:
        return f'"{self.text}"' if self.is_phrase else self.text


@dataclass(frozen=True)
class ParsedQuery:
    # Every group must match; a group matches when any of its terms does.
    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    # (field, term, excluded) for `speaker:`, `party:` and `title:`.
    fields: tuple[tuple[str, Term, bool], ...] = ()
    houses: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.groups or self.excluded or self.fields or self.houses)

    @property
    def terms(self) -> list[Term]:
        """What the text must contain: the words and phrases to highlight."""
        return [term for group in self.groups for term in group]


def clean_text(text: str) -> str:
    """Text as typed, with control characters (a NUL byte, say) and runs of spaces turned
    into single spaces: they mean nothing to a search."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def parse(text: str) -> ParsedQuery:
    groups: list[list[Term]] = []
    excluded, fields, houses, notices = [], [], [], []
    join_next = False  # the previous item was followed by OR
    if text.count('"') % 2:
        notices.append("A quotation mark was not closed; the phrase runs to the end.")

    for match in TOKEN.finditer(text):
        negated, prefix = bool(match["neg"]), (match["prefix"] or "").lower()
        raw = match["phrase"] if match["phrase"] is not None else match["word"]
        if match["word"] == "OR" and not negated and not prefix:
            join_next = bool(groups)
            continue
        if match["word"] == "AND" and not negated and not prefix:
            continue
        if prefix and prefix not in PREFIXES:
            notices.append(
                f"Chamber doesn't know “{prefix}:”, so it searched for the words. "
                "Try speaker:, party:, title: or house:."
            )
            raw, prefix = f"{prefix} {raw}", ""
        term = _term(raw)
        if term is None:
            continue
        if prefix == "house":
            house = House.named(" ".join(WORD.findall(raw.lower())))
            if house not in HOUSES:
                notices.append(f"house: takes commons or lords, not “{raw}”.")
            elif not negated:
                houses.append(house)
            else:
                houses.extend(h for h in HOUSES if h != house)
        elif prefix:
            fields.append((prefix, term, negated))
        elif negated:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False

    if groups and all(not stems(term.text) for group in groups for term in group):
        notices.append(
            "Very common or one-letter words (“the”, “of”, “a”…) are not indexed; "
            "add a less common word."
        )
        groups = []
    if text.strip() and not (groups or excluded or fields or houses or notices):
        notices.append(f"“{text.strip()[:50]}” has nothing to search for, so here is everything.")
    return ParsedQuery(
        groups=tuple(tuple(group) for group in groups if group),
        excluded=tuple(excluded),
        fields=tuple(fields),
        houses=tuple(dict.fromkeys(houses)),
        notices=tuple(dict.fromkeys(notices)),
    )


def _term(raw: str) -> Term | None:
    """The words of `raw`, stripped of punctuation (so "Covid-19" is the phrase "Covid 19");
    None if nothing searchable is left."""
    words = WORD.findall(raw)
    return Term(" ".join(words)) if words else None


def highlight_text(parsed: ParsedQuery) -> str:
    """The words and phrases to mark in the text, as a query (for a link to the debate)."""
    return " ".join(str(term) for term in parsed.terms)


def words_of(parsed: ParsedQuery) -> list[str]:
    """The plain words typed, for spelling suggestions."""
    return [word for term in parsed.terms for word in term.text.split()]
