"""The one place that writes members: `load_members` loads member lists in one transaction.

Records (a CSV row, a Popolo person, a ParlParse seat-term) and ParlParse persons are first
joined into one group per person: by a shared identifier (a person id, directly or through a
people file's member ids; an MNIS id), then by name and constituency. Each group is then
matched to a member already loaded, by identifier first and by name and constituency after,
so loading a list again updates members rather than adding them twice, and lists may be
loaded in any order: a people file loaded after the seat-terms joins the terms' members into
one (their speeches and identifiers move to the member with the latest term).

Which record speaks for the member: a record of the whole member (a CSV row, a Popolo person)
always does; a ParlParse seat-term does when it starts after every term the member already
has, or when the member has no party or constituency yet. So an older ParlParse list loaded
after a newer one, or after the CSV, changes nothing.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .. import signals
from ..choices import House, IdentifierScheme
from ..models import Member, MemberIdentifier, Speech
from . import loading
from .importers import member_lists as parser
from .importers.member_lists import Identifier, ParsedMember, ParsedMemberList, ParsedPerson
from .importers.transcript import ParseError
from .speakers import name_key, place_key

FIELDS = [
    "name",
    "sort_name",
    "slug",
    "party",
    "constituency",
    "house",
    "start_date",
    "end_date",
]
INDEXED_FIELDS = {"name", "party", "constituency"}  # what the search index shows of a member


class MemberLoadError(ValueError):
    """A list that cannot be loaded; the message names the file and the record."""


@dataclass
class MemberLoadResult:
    files: list[tuple[str, str, int]] = field(default_factory=list)  # name, format, records
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # members joined into another (a people file loaded after the terms)
    identifiers_added: int = 0
    reindexed_member_ids: list[int] = field(default_factory=list)
    speeches_resolved: int = 0  # speeches loaded earlier that now resolve to a member


def parse_files(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, ParsedMemberList]]:
    parsed = []
    for name, raw in files:
        try:
            parsed.append((name, parser.parse(raw)))
        except ParseError as error:
            raise MemberLoadError(f"{name}: {error}") from None
    return parsed


@transaction.atomic
def load_members(files: Sequence[tuple[str, bytes]]) -> MemberLoadResult:
    """Parse (name, bytes) member lists and write them together, or nothing if any fails."""
    lists = parse_files(files)
    result = MemberLoadResult(
        files=[(name, p.format, len(p.members) + len(p.people)) for name, p in lists]
    )
    groups = _groups(lists)
    _Writer(result).write(groups)
    if result.reindexed_member_ids:  # their speeches' documents show the member
        speeches = Speech.objects.filter(member_id__in=result.reindexed_member_ids)
        ids = speeches.values_list("id", flat=True)
        signals.speeches_changed.send(sender=Speech, speech_ids=ids)
    # Speeches loaded before these members were known resolve to them now.
    result.speeches_resolved = loading.resolve_loaded_speeches()
    return result


# -- Joining records into persons --------------------------------------------------------


@dataclass
class _Group:
    records: list[tuple[str, ParsedMember]] = field(default_factory=list)  # (file, record)
    persons: list[tuple[str, ParsedPerson]] = field(default_factory=list)
    identifiers: dict[tuple[str, str], Identifier] = field(default_factory=dict)
    member: Member | None = None  # matched or created by the writer

    def add_identifier(self, identifier: Identifier) -> None:
        key = (identifier.scheme, identifier.value)
        known = self.identifiers.get(key)
        if known is None or (identifier.start_date and not known.start_date):
            self.identifiers[key] = identifier

    @property
    def person_ids(self) -> set[str]:
        return {
            value
            for scheme, value in self.identifiers
            if scheme == IdentifierScheme.PARLPARSE_PERSON
        }

    def latest(self) -> tuple[str, ParsedMember] | None:
        """The record that speaks for the group: a whole member's record (a CSV row, a Popolo
        person) first, then the latest seat-term."""
        if not self.records:
            return None
        return max(
            self.records,
            key=lambda fr: (
                not fr[1].is_term,
                fr[1].start_date or datetime.date.min,
                fr[1].end_date or datetime.date.max,
            ),
        )

    def where(self) -> str:
        if self.records:
            return f"{self.records[0][0]}, {self.records[0][1].where}"
        return f"{self.persons[0][0]}, {self.persons[0][1].where}"


def _groups(lists: list[tuple[str, ParsedMemberList]]) -> list[_Group]:
    person_of: dict[str, str] = {}  # member id -> person id, from the people files
    for _, parsed in lists:
        for person in parsed.people:
            for member_id in person.member_ids:
                person_of[member_id] = person.person_id
    # Union-find over records and persons: joined by any identifier they share.
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    nodes: list[tuple[str, ParsedMember | ParsedPerson]] = []  # (file, record or person)
    owner: dict[tuple[str, str], int] = {}  # identifier -> the first node that has it
    for file_name, parsed in lists:
        items: list[ParsedMember | ParsedPerson] = [*parsed.members, *parsed.people]
        for item in items:
            node = len(nodes)
            nodes.append((file_name, item))
            parent[node] = node
            for key in _keys(item, person_of):
                if key in owner:
                    parent[find(node)] = find(owner[key])
                else:
                    owner[key] = node
    groups: dict[int, _Group] = defaultdict(_Group)
    for node, (file_name, item) in enumerate(nodes):
        group = groups[find(node)]
        if isinstance(item, ParsedMember):
            group.records.append((file_name, item))
            for identifier in item.identifiers:
                group.add_identifier(identifier)
            for member_id in item.ids(IdentifierScheme.PARLPARSE_MEMBER):
                if member_id in person_of:
                    group.add_identifier(
                        Identifier(IdentifierScheme.PARLPARSE_PERSON, person_of[member_id])
                    )
        else:
            group.persons.append((file_name, item))
            group.add_identifier(Identifier(IdentifierScheme.PARLPARSE_PERSON, item.person_id))
            for member_id in item.member_ids:
                group.add_identifier(Identifier(IdentifierScheme.PARLPARSE_MEMBER, member_id))
    # Then by name and constituency, where that joins no two persons.
    by_place: dict[tuple[str, str], _Group] = {}
    joined = []
    for group in groups.values():
        latest = group.latest()
        place = latest and (name_key(latest[1].name), place_key(latest[1].constituency))
        other = by_place.get(place) if place and place[1] else None
        if other is not None and len(other.person_ids | group.person_ids) <= 1:
            other.records += group.records
            other.persons += group.persons
            for identifier in group.identifiers.values():
                other.add_identifier(identifier)
            continue
        if place and place[1]:
            by_place.setdefault(place, group)
        joined.append(group)
    for group in joined:
        if len(group.person_ids) > 1:
            raise MemberLoadError(
                f"{group.where()}: one member would carry the person ids"
                f" {', '.join(sorted(group.person_ids))}; the lists disagree about who is who"
            )
    return joined


def _keys(
    item: ParsedMember | ParsedPerson, person_of: dict[str, str]
) -> Sequence[tuple[str, str]]:
    if isinstance(item, ParsedPerson):
        return [(IdentifierScheme.PARLPARSE_PERSON, item.person_id)] + [
            (IdentifierScheme.PARLPARSE_MEMBER, member_id) for member_id in item.member_ids
        ]
    keys = [(identifier.scheme, identifier.value) for identifier in item.identifiers]
    keys += [
        (IdentifierScheme.PARLPARSE_PERSON, person_of[member_id])
        for member_id in item.ids(IdentifierScheme.PARLPARSE_MEMBER)
        if member_id in person_of
    ]
    return keys


# -- Writing -----------------------------------------------------------------------------


class _Writer:
    """Matches groups to the members loaded, in a fixed number of queries, and writes."""

    def __init__(self, result: MemberLoadResult):
        self.result = result
        self.members = {member.id: member for member in Member.objects.all()}
        self.identifiers = {
            (identifier.scheme, identifier.value): identifier
            for identifier in MemberIdentifier.objects.all()
        }
        self.person_of_member = {
            identifier.member_id: identifier.value
            for identifier in self.identifiers.values()
            if identifier.scheme == IdentifierScheme.PARLPARSE_PERSON
        }
        # member id -> latest term start known
        self.latest_term: defaultdict[int, datetime.date | None] = defaultdict(lambda: None)
        for identifier in self.identifiers.values():
            start, known = identifier.start_date, self.latest_term[identifier.member_id]
            if start and (known is None or start > known):
                self.latest_term[identifier.member_id] = start
        self.by_place: defaultdict[tuple[str, str], list[Member]] = defaultdict(list)
        for member in self.members.values():
            if member.constituency:
                self.by_place[(name_key(member.name), place_key(member.constituency))].append(
                    member
                )
        self.slugs = {member.slug for member in self.members.values()}

    def write(self, groups: list[_Group]) -> None:
        new: list[Member] = []
        changed: dict[int, Member] = {}  # by id
        merges: list[tuple[Member, Member]] = []  # (merged, keeper)
        # Groups that match one member are combined into one, which carries all their ids.
        combined = self._combine(groups)
        for group, matched in combined:
            if not matched:
                new.append(self._new_member(group))
                continue
            group.member = keeper = max(
                matched, key=lambda m: (self.latest_term[m.id] or datetime.date.min, -m.id)
            )
            merged = [other for other in matched if other is not keeper]
            merges += [(other, keeper) for other in merged]
            before = {name: getattr(keeper, name) for name in FIELDS}
            self._apply(keeper, group, merged=merged)
            self._check(keeper, group)
            differs = {name for name in FIELDS if getattr(keeper, name) != before[name]}
            if differs or merged:
                changed[keeper.id] = keeper
                if differs & INDEXED_FIELDS or merged:
                    self.result.reindexed_member_ids.append(keeper.id)
            else:
                self.result.unchanged += 1
        if merges:
            # Speeches and identifiers follow the person; the old member rows go.
            keepers: defaultdict[int, list[int]] = defaultdict(list)
            for other, keeper in merges:
                keepers[keeper.id].append(other.id)
            for keeper_id, other_ids in keepers.items():
                Speech.objects.filter(member_id__in=other_ids).update(member_id=keeper_id)
                MemberIdentifier.objects.filter(member_id__in=other_ids).update(member_id=keeper_id)
            moved = {other.id: keeper.id for other, keeper in merges}
            for identifier in self.identifiers.values():
                identifier.member_id = moved.get(identifier.member_id, identifier.member_id)
            Member.objects.filter(id__in=list(moved)).delete()
        self.result.merged = len(merges)
        Member.objects.bulk_create(new, batch_size=500)
        self.result.created = len(new)
        if changed:
            Member.objects.bulk_update(list(changed.values()), FIELDS, batch_size=500)
        self.result.updated = len(changed)
        self._write_identifiers([group for group, _ in combined])

    def _write_identifiers(self, groups: list[_Group]) -> None:
        added, dated = [], []
        for group in groups:
            for key, identifier in group.identifiers.items():
                known = self.identifiers.get(key)
                if known is None:
                    assert group.member is not None  # write() matched or made it
                    known = MemberIdentifier(
                        member_id=group.member.id,
                        scheme=identifier.scheme,
                        value=identifier.value,
                        start_date=identifier.start_date,
                        end_date=identifier.end_date,
                    )
                    self.identifiers[key] = known
                    added.append(known)
                elif identifier.start_date and (known.start_date, known.end_date) != (
                    identifier.start_date,
                    identifier.end_date,
                ):
                    known.start_date, known.end_date = identifier.start_date, identifier.end_date
                    dated.append(known)
        MemberIdentifier.objects.bulk_create(added, batch_size=1000)
        self.result.identifiers_added = len(added)
        if dated:
            MemberIdentifier.objects.bulk_update(dated, ["start_date", "end_date"], batch_size=1000)

    def _combine(self, groups: list[_Group]) -> list[tuple[_Group, list[Member]]]:
        """Match each group; groups that match one member become one (terms loaded without
        their people file, after it, are one group per seat)."""
        combined: dict[int, tuple[_Group, list[Member]]] = {}  # by member id
        alone: list[tuple[_Group, list[Member]]] = []
        for group in groups:
            matched = self._match(group)
            owners = {id(combined[m.id][0]): combined[m.id] for m in matched if m.id in combined}
            if not matched:
                alone.append((group, []))
                continue
            target, members = (group, list(matched))
            for other, other_members in owners.values():
                target.records += other.records
                target.persons += other.persons
                for identifier in other.identifiers.values():
                    target.add_identifier(identifier)
                members += [m for m in other_members if m not in members]
            for member in members:
                combined[member.id] = (target, members)
        unique = {id(group): (group, members) for group, members in combined.values()}
        for group, members in unique.values():
            loaded = (self.person_of_member.get(m.id) for m in members)
            people = {person for person in loaded if person is not None} | group.person_ids
            if len(people) > 1:
                raise MemberLoadError(
                    f"{group.where()}: the ids of this record belong to different people"
                    f" already loaded ({', '.join(sorted(people))})"
                )
        return list(unique.values()) + alone

    def _match(self, group: _Group) -> list[Member]:
        ids = {
            self.identifiers[key].member_id for key in group.identifiers if key in self.identifiers
        }
        matched = [self.members[member_id] for member_id in sorted(ids)]
        if not matched and (latest := group.latest()):
            record = latest[1]
            candidates = [
                member
                for member in self.by_place.get(
                    (name_key(record.name), place_key(record.constituency)), []
                )
                if not group.person_ids
                or self.person_of_member.get(member.id) in (None, *group.person_ids)
            ]
            if record.constituency and len(candidates) == 1:
                matched = candidates
        return matched

    def _apply(self, member: Member, group: _Group, *, merged: list[Member]) -> None:
        """Set the member's fields from the record that speaks for them (see the module)."""
        for other in merged:  # the values of the member with the latest term stand
            member.start_date = _earliest(member.start_date, other.start_date)
        if merged:  # the first address a member had keeps working
            member.slug = min([member, *merged], key=lambda m: m.id).slug
        latest = group.latest()
        starts = [r.start_date for _, r in group.records if r.start_date]
        if starts:
            member.start_date = _earliest(member.start_date, min(starts))
        if latest is None:
            return
        record = latest[1]
        known = self.latest_term[member.id]
        speaks = (
            not record.is_term
            or not (member.party or member.constituency)
            or (known is not None and record.start_date is not None and record.start_date > known)
        )
        if not speaks:
            return
        member.name, member.sort_name = record.name, record.sort_name or record.name
        member.party, member.constituency = record.party, record.constituency
        member.house, member.end_date = record.house, record.end_date
        if record.is_term:
            self.latest_term[member.id] = max(filter(None, [known, record.start_date]))
        if record.start_date is not None and member.start_date is None:
            member.start_date = record.start_date

    def _new_member(self, group: _Group) -> Member:
        latest = group.latest()
        if latest:
            record = latest[1]
            starts = [r.start_date for _, r in group.records if r.start_date]
            member = Member(
                name=record.name,
                sort_name=record.sort_name or record.name,
                party=record.party,
                constituency=record.constituency,
                house=record.house,
                start_date=min(starts) if starts else None,
                end_date=record.end_date,
            )
        else:
            person = group.persons[0][1]
            member = Member(
                name=person.name,
                sort_name=parser.sort_name_for(person.name),
                house=person.house if person.house in House.values else House.COMMONS,
            )
        self._check(member, group)
        member.slug = self._slug(member)
        group.member = member
        return member

    def _check(self, member: Member, group: _Group) -> None:
        for name in ("name", "sort_name", "party", "constituency"):
            limit = loading.max_length(Member, name)
            if len(getattr(member, name)) > limit:
                raise MemberLoadError(
                    f"{group.where()}: the {name.replace('_', ' ')} is longer than {limit}"
                    " characters"
                )

    def _slug(self, member: Member) -> str:
        base = slugify(member.name)[:150].strip("-") or "member"
        candidates = [base]
        if member.constituency:
            candidates.append(f"{base}-{slugify(member.constituency)[:40].strip('-')}")
        slug = next((slug for slug in candidates if slug not in self.slugs), None)
        n = 2
        while slug is None:
            slug = f"{base}-{n}" if f"{base}-{n}" not in self.slugs else None
            n += 1
        self.slugs.add(slug)
        return slug


def _earliest(a: datetime.date | None, b: datetime.date | None) -> datetime.date | None:
    return min(d for d in (a, b) if d) if (a or b) else None
