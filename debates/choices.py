"""The words of the record, each defined once: Houses, kinds of debate and of speech, and the
schemes of the ids that sources give members.

Pure (no Django): the importers write these values, the models take them as the choices of
their fields, and the search query's `house:` (search.query) reads them. Each is a `StrEnum`
whose members carry a label, so `House.COMMONS == "commons"` and `House.COMMONS.label` reads
"House of Commons"; `House.values` and `House.choices` are what Django's `TextChoices` would
give.
"""

from enum import EnumType, StrEnum
from typing import Self, cast


class _ChoicesType(EnumType):
    # `cls` is a Choices subclass: mypy cannot tell its members from the metaclass alone.
    @property
    def values(cls) -> list[str]:
        return [member.value for member in cast("type[Choices]", cls)]

    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cast("type[Choices]", cls)]


class Choices(StrEnum, metaclass=_ChoicesType):
    """A StrEnum of (value, label) members."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def of(cls, value: str) -> Self | None:
        """The member whose value this is ("commons" -> House.COMMONS), or None."""
        return cast("Self | None", cls._value2member_map_.get(value))

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a value, or the value itself if it is none of ours."""
        member = cls.of(value)
        return member.label if member else value


class House(Choices):
    COMMONS = "commons", "House of Commons"
    LORDS = "lords", "House of Lords"
    WESTMINSTER_HALL = "westminster-hall", "Westminster Hall"
    OTHER = "other", "Other"

    @classmethod
    def named(cls, name: str) -> "House | None":
        """The House a source or a reader names: "Commons", "House of Lords", "HC",
        "Westminster Hall"; None for a name that is none of them."""
        return _HOUSE_NAMES.get(" ".join(name.replace("-", " ").split()).casefold())

    @property
    def citation_prefix(self) -> str:
        """The abbreviation of the official citation ("HC Deb 26 March 2024"), if any."""
        return _CITATION_PREFIX.get(self, "")


_CITATION_PREFIX = {House.COMMONS: "HC", House.LORDS: "HL", House.WESTMINSTER_HALL: "WH"}
_HOUSE_NAMES = {
    **{house.value.replace("-", " "): house for house in House},
    **{house.label.casefold(): house for house in House},
    **{prefix.casefold(): house for house, prefix in _CITATION_PREFIX.items()},
}


class DebateKind(Choices):
    DEBATE = "debate", "Debate"
    STATEMENT = "statement", "Ministerial statement"
    URGENT_QUESTION = "urgent-question", "Urgent question"
    ORAL_QUESTIONS = "oral-questions", "Oral questions"
    WRITTEN_STATEMENT = "written-statement", "Written statement"
    BILL = "bill", "Bill"
    PETITION = "petition", "Petition"
    POINT_OF_ORDER = "point-of-order", "Point of order"
    OTHER = "other", "Other"


class SpeechKind(Choices):
    """What a record in a transcript is."""

    SPEECH = "speech", "Speech"  # someone speaking, named or not
    # The record's own words: "Question put and agreed to.", a scene.
    NARRATIVE = "narrative", "Narrative"
    DIVISION = "division", "Division"  # a vote: its number, the counts and the tellers


class SpeechBoundary(Choices):
    """Where a speech's edges come from (`Speech.boundary`)."""

    RECORDED = "recorded", "Recorded"  # the source marks each speech (a speaker line, XML)
    # Plain text names nobody: where one speech ends and the next begins was worked out
    # from the text (debates.ingest.importers.turns) and may be wrong.
    INFERRED = "inferred", "Inferred from the text"
    EDITED = "edited", "Set by an editor"  # merged or split in the admin


class IdentifierScheme(Choices):
    """Whose id a source gives a member (`MemberIdentifier.scheme`)."""

    PARLPARSE_PERSON = "parlparse-person", "ParlParse person id"
    PARLPARSE_MEMBER = "parlparse-member", "ParlParse member id"  # one seat-term
    MNIS = "mnis", "MNIS id"
    OTHER = "other", "Other"

    def ref(self, value: str) -> str:
        """A speaker's id as a transcript gives it ("parlparse-person:uk.org.publicwhip/person/
        10001"), for `debates.ingest.speakers` to look up."""
        return f"{self.value}:{value}"


class SpeakerStatus(StrEnum):
    """How the record names who gave a speech (`Speech.speaker_status`)."""

    MEMBER = "member"  # resolved to a member
    PRINTED = "printed"  # a name or an office as printed, resolved to nobody
    RECORD = "record"  # the record's own words, a division: nobody spoke them
    UNRECORDED = "unrecorded"  # someone spoke; the record does not say who


# Titles a name may be printed with, left out when names are compared or sorted ("The Rt Hon.
# Sir Keir Starmer" is "Keir Starmer").
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "rt", "hon", "the"})
