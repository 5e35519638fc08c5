"""Who spoke: resolving the speakers a transcript names to members.

`resolve(debates)` answers, for every speech of every parsed debate, the id of the member
who gave it, or None. It only reads, in three queries at most however long the transcript;
`debates.ingest.loading` writes what it answers, and the upload preview counts it. Given a
`MemberCache`, it reads only what the files resolved before it in the same run have not:
after the first few sitting days of a folder, nothing at all.

A speech resolves, in this order:

1. by the id the source gives the speaker (`member_ref`, "scheme:value"), when it is known;
2. by name and constituency as printed ("Dominic Raab (Esher and Walton)"), compared without
   regard to case, curly or straight apostrophes, "&" or "and", commas and the titles
   (`debates.choices.TITLES`: "The Rt Hon. Sir Keir Starmer" is compared as "keir starmer");
3. by name alone among the members serving in the debate's house on its date (Westminster
   Hall's speakers are MPs); a name printed as a surname only ("Mr Raab") matches a surname.
   Only a single match counts: two serving members of that name resolve neither;
4. a name resolved once in a debate resolves the same wherever else it is printed in it;
5. "Mr Speaker" or "Madam Speaker" in the Commons, printed without a name, resolves to the
   member whose party is "Speaker" (as the members lists give the Speaker) serving on the
   day, when there is exactly one.

Offices printed without a name ("Mr Speaker", "Madam Deputy Speaker", "The Chairman") and
the House speaking together ("Hon. Members", "Several hon. Members") stay unresolved, but
they are not *unresolved speakers*: nobody is missing from the members list, so the admin's
unresolved-speakers page and the upload preview leave them out (`is_role_only`).
"""

import datetime
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_
from typing import Protocol

from django.db.models import Q

from ..choices import TITLES, House
from ..models import Member, MemberIdentifier

APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})

# Who is printed but is not one member: offices without a name, and the House together.
_ROLE_ONLY = re.compile(
    r"""^(?:the\s+)?(?:mr|madam|mister)?\s*
    (?:(?:deputy|first\s+deputy|second\s+deputy)\s+)?
    (?:speaker|chairman|chairwoman|chair|chairman\s+of\s+ways\s+and\s+means|
       deputy\s+chairman|lord\s+speaker|temporary\s+chair|presiding\s+officer|clerk.*)$
    |^(?:an?|several|some|other|many|the)?\s*(?:hon|honourable|noble)?\s*
      (?:member|members|lords|lord|ladies|gentlemen)$
    |^(?:members|hon\s+members|noble\s+lords)\b.*$
    """,
    re.VERBOSE,
)


class Printed(Protocol):
    """A speech as resolving reads it: a parsed speech, or a loaded one (`Speech`)."""

    @property
    def speaker_name(self) -> str: ...
    @property
    def speaker_role(self) -> str: ...
    @property
    def speaker_constituency(self) -> str: ...
    @property
    def member_ref(self) -> str: ...


class Sitting(Protocol):
    """A debate as resolving reads it: its House, its date and its speeches in order."""

    @property
    def house(self) -> str: ...
    @property
    def date(self) -> datetime.date: ...
    @property
    def speeches(self) -> Sequence[Printed]: ...


def name_key(name: str) -> str:
    """A name as compared: "Mr Dominic Raab" and "dominic raab" are one key."""
    words = _plain(name).split()
    while words and words[0] in TITLES:
        words = words[1:]
    return " ".join(words)


def place_key(constituency: str) -> str:
    """A constituency as compared: "Hackney North & Stoke Newington" is
    "hackney north and stoke newington"."""
    return " ".join(_plain(constituency).replace(",", " ").split())


def is_role_only(name: str) -> bool:
    """ "Mr Speaker", "Madam Deputy Speaker", "Several hon. Members": no one member."""
    return bool(_ROLE_ONLY.match(" ".join(_plain(name).split())))


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(APOSTROPHES).lower()
    text = text.replace("&", " and ").replace(".", " ")
    return " ".join(text.split())


class MemberCache:
    """What resolving has read of the members, kept across the files of one run (a folder
    loaded by `load_transcripts`): each reference, each name and the Speakers of the House
    are read once a run rather than once a file. The run must not change the members
    meanwhile; loading transcripts never does."""

    def __init__(self) -> None:
        self._by_ref: dict[str, int | None] = {}
        self._words: dict[str, list[Member]] = {}  # a name's longest word -> members
        self._chairs: list[Member] | None = None

    def by_ref(self, refs: set[str]) -> dict[str, int]:
        """The member ids of these "scheme:value" references (those that name a member)."""
        unread = refs - self._by_ref.keys()
        if unread:
            found = _members_by_ref(unread)
            self._by_ref.update((ref, found.get(ref)) for ref in unread)
        return {ref: member_id for ref in refs if (member_id := self._by_ref[ref]) is not None}

    def named(self, names: set[str]) -> list[Member]:
        """Members whose names could match these (see `_members_named`)."""
        words = {word for name in names if (word := _longest_word(name))}
        unread = words - self._words.keys()
        if unread:
            members = _members_named(unread)
            for word in unread:
                # Every member whose name's key could equal a name with this word has the
                # word in its key (the query compared it with the whole name: a superset).
                self._words[word] = [m for m in members if word in name_key(m.name)]
        found = {member.id: member for word in words for member in self._words[word]}
        return list(found.values())

    def speakers_of_the_house(self) -> list[Member]:
        if self._chairs is None:
            self._chairs = list(
                Member.objects.filter(party="Speaker", house=House.COMMONS).only(
                    "id", "house", "start_date", "end_date"
                )
            )
        return self._chairs


def resolve(
    debates: Sequence[Sitting], members: MemberCache | None = None
) -> list[list[int | None]]:
    """Member ids per speech, debate by debate, in the order given; through `members`, what
    this run has read of the members already."""
    members = members or MemberCache()
    refs = {speech.member_ref for debate in debates for speech in debate.speeches}
    by_ref = members.by_ref(refs - {""})
    named = {
        speech.speaker_name
        for debate in debates
        for speech in debate.speeches
        if speech.speaker_name
        and by_ref.get(speech.member_ref) is None
        and not is_role_only(speech.speaker_name)
    }
    candidates = _Candidates(members.named(named))
    chairs = _speakers_of_the_house(debates, members)
    resolved = []
    for debate in debates:
        ids = _resolve_debate(debate, by_ref, candidates)
        serving = [member.id for member in chairs if _serving(member, debate)]
        if len(serving) == 1:
            ids = [
                serving[0] if member_id is None and _is_the_speaker(speech) else member_id
                for speech, member_id in zip(debate.speeches, ids, strict=True)
            ]
        resolved.append(ids)
    return resolved


_THE_SPEAKER = re.compile(r"^(?:mr|madam)\s+speaker$")


def _is_the_speaker(speech: Printed) -> bool:
    """Printed as the Speaker of the Commons alone: "Mr Speaker:", "Madam Speaker:"."""
    printed = speech.speaker_name or speech.speaker_role
    return bool(_THE_SPEAKER.match(" ".join(_plain(printed).split())))


def _speakers_of_the_house(debates: Sequence[Sitting], members: MemberCache) -> list[Member]:
    """Members listed with the party "Speaker", if any debate prints the Speaker unnamed (one
    query then, none otherwise)."""
    if not any(
        debate.house == House.COMMONS and _is_the_speaker(speech)
        for debate in debates
        for speech in debate.speeches
    ):
        return []
    return members.speakers_of_the_house()


def _resolve_debate(
    debate: Sitting, by_ref: dict[str, int], candidates: "_Candidates"
) -> list[int | None]:
    ids: list[int | None] = []
    for speech in debate.speeches:
        member_id = by_ref.get(speech.member_ref) if speech.member_ref else None
        if member_id is None and speech.speaker_name and not is_role_only(speech.speaker_name):
            member_id = candidates.find(speech, debate)
        ids.append(member_id)
    # A name resolved once resolves the same elsewhere in the debate (when it is one member).
    resolved: defaultdict[str, set[int]] = defaultdict(set)
    for speech, member_id in zip(debate.speeches, ids, strict=True):
        if member_id is not None and speech.speaker_name:
            resolved[name_key(speech.speaker_name)].add(member_id)
    for position, (speech, member_id) in enumerate(zip(debate.speeches, ids, strict=True)):
        if member_id is None and speech.speaker_name:
            found = resolved.get(name_key(speech.speaker_name), set())
            if len(found) == 1:
                ids[position] = next(iter(found))
    return ids


class _Candidates:
    """The members a transcript's names could mean, indexed for the rules above."""

    def __init__(self, members: Iterable[Member]):
        self.by_name_place: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
        self.by_name: defaultdict[str, list[Member]] = defaultdict(list)
        self.by_surname: defaultdict[str, list[Member]] = defaultdict(list)
        for member in members:
            key = name_key(member.name)
            if member.constituency:
                self.by_name_place[(key, place_key(member.constituency))].add(member.id)
            self.by_name[key].append(member)
            if key:
                self.by_surname[key.split()[-1]].append(member)

    def find(self, speech: Printed, debate: Sitting) -> int | None:
        key = name_key(speech.speaker_name)
        if speech.speaker_constituency:
            found = self.by_name_place.get((key, place_key(speech.speaker_constituency)), ())
            if len(found) == 1:
                return next(iter(found))
        pool = self.by_name.get(key) or ()
        if not pool and len(key.split()) == 1:
            pool = self.by_surname.get(key, ())
        serving = {member.id for member in pool if _serving(member, debate)}
        return next(iter(serving)) if len(serving) == 1 else None


def _serving(member: Member, debate: Sitting) -> bool:
    house = House.COMMONS if debate.house == House.WESTMINSTER_HALL else debate.house
    if member.house != house:
        return False
    return (member.start_date is None or member.start_date <= debate.date) and (
        member.end_date is None or debate.date <= member.end_date
    )


def _longest_word(name: str) -> str:
    """The word of a name that members who could be it must have: its longest (a surname,
    usually); "" if it has none."""
    parts = re.findall(r"[^\W\d_]+", name_key(name))
    return max(parts, key=len) if parts else ""


def _members_named(words: set[str]) -> list[Member]:
    """Members whose names could match names with these longest words (`_longest_word`), in
    one query: the word must be in theirs. Comparing keys happens in Python."""
    if not words:
        return []
    query = reduce(or_, (Q(name__icontains=word) for word in sorted(words)))
    return list(
        Member.objects.filter(query).only(
            "id", "name", "constituency", "house", "start_date", "end_date"
        )
    )


def _members_by_ref(refs: set[str]) -> dict[str, int]:
    """Map "scheme:value" references to member ids in one query."""
    wanted = {tuple(ref.split(":", 1)) for ref in refs if ":" in ref}
    if not wanted:
        return {}
    rows = MemberIdentifier.objects.filter(value__in=[value for _, value in wanted])
    return {
        f"{scheme}:{value}": member_id
        for scheme, value, member_id in rows.values_list("scheme", "value", "member_id")
        if (scheme, value) in wanted
    }
