"""Member lists: bytes -> frozen dataclasses (no Django; `debates.ingest.members` writes them).

Formats, told apart by their content:

- ``commons-mps-csv``: the joined list of MPs of May 2024 (fixtures/members/
  commons_mps_2024-05-28.csv). For the 2019-24 Parliament the constituency is
  ``constituency_pre2024`` (the seat held until the 2024 dissolution; ``constituency_ge2024``
  is a seat on the new boundaries, not yet represented) and the party is ``party_ge2024``
  (the party stood for in July 2024, the latest known), else ``party_nov2019_guardian``
  (the party in November 2019, for those who stood down); mid-term changes are in neither.
- ``members-csv``: a simple CSV with columns name, party, constituency and optionally house,
  person_id (ParlParse), mnis_id, start_date, end_date.
- ``parlparse-members``: ParlParse's all-members*.xml, one ``<member>`` per seat-term.
- ``parlparse-people``: ParlParse's people*.xml, joining member ids into persons.
- ``popolo``: Popolo JSON (persons, organizations, memberships, areas), ids in
  ``identifiers`` with a scheme.

Party names are written one way whatever the source ("Lab" and "Labour" are "Labour").
"""

import csv
import datetime
import io
import json
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from lxml import etree

from ...choices import TITLES, House, IdentifierScheme
from .transcript import ParseError
from .xmlsafe import parse_xml

PERSON_PREFIX = "uk.org.publicwhip/person/"

# ParlParse's abbreviations and the spellings of other lists, as one name each.
PARTIES = {
    "lab": "Labour",
    "labour": "Labour",
    "lab/co-op": "Labour/Co-operative",
    "labour/co-operative": "Labour/Co-operative",
    "con": "Conservative",
    "conservative": "Conservative",
    "ldem": "Liberal Democrat",
    "liberal democrat": "Liberal Democrat",
    "liberal democrats": "Liberal Democrat",
    "snp": "Scottish National Party",
    "scottish national party": "Scottish National Party",
    "pc": "Plaid Cymru",
    "plaid cymru": "Plaid Cymru",
    "dup": "Democratic Unionist Party",
    "democratic unionist party": "Democratic Unionist Party",
    "uup": "Ulster Unionist Party",
    "sf": "Sinn Féin",
    "sinn féin": "Sinn Féin",
    "sinn fein": "Sinn Féin",
    "sdlp": "Social Democratic & Labour Party",
    "social democratic & labour party": "Social Democratic & Labour Party",
    "ind": "Independent",
    "independent": "Independent",
    "ind con": "Independent Conservative",
    "ind lab": "Independent Labour",
    "ind uu": "Independent Ulster Unionist",
    "ukup": "UK Unionist Party",
    "ukip": "UK Independence Party",
    "res": "Respect",
    "green": "Green Party",
    "spk": "Speaker",
    "speaker": "Speaker",
    # Chairman and Deputy Chairman of Ways and Means: the Deputy Speakers.
    "cwm": "Deputy Speaker",
    "dcwm": "Deputy Speaker",
}


@dataclass(frozen=True)
class Identifier:
    scheme: str  # an IdentifierScheme
    value: str
    # For a seat-term id (ParlParse member ids): the term's dates.
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


@dataclass(frozen=True)
class ParsedMember:
    """A member as one record of a list describes them: a CSV row, a Popolo person, or one
    seat-term of ParlParse's all-members lists."""

    name: str
    sort_name: str
    party: str = ""
    constituency: str = ""
    house: str = House.COMMONS
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None  # None while serving
    identifiers: tuple[Identifier, ...] = ()
    where: str = ""  # "line 12", "persons[3]": for messages

    @property
    def is_term(self) -> bool:
        """One seat-term of a longer service (ParlParse), not a whole member."""
        return any(identifier.start_date for identifier in self.identifiers)

    def ids(self, scheme: str) -> list[str]:
        return [identifier.value for identifier in self.identifiers if identifier.scheme == scheme]


@dataclass(frozen=True)
class ParsedPerson:
    """A ParlParse person: the seat-terms (member ids) held by one human being."""

    person_id: str
    name: str
    member_ids: tuple[str, ...]
    house: str = House.COMMONS
    where: str = ""


@dataclass(frozen=True)
class ParsedMemberList:
    format: str
    members: tuple[ParsedMember, ...] = ()
    people: tuple[ParsedPerson, ...] = ()


def parse(raw: bytes) -> ParsedMemberList:
    """Read a member list in any of the formats above; ParseError says what is wrong where."""
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return parse_popolo(raw)
    if start == b"<":
        return parse_parlparse(raw)
    if not start:
        raise ParseError("the file is empty")
    return parse_csv(raw)


# -- CSV ---------------------------------------------------------------------------------

COMMONS_MPS_COLUMNS = {"twfy_person_id", "name", "constituency_pre2024", "party_ge2024"}
GENERIC_COLUMNS = ["name", "party", "constituency"]
GENERIC_OPTIONAL = ["house", "person_id", "mnis_id", "start_date", "end_date"]


def parse_csv(raw: bytes) -> ParsedMemberList:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ParseError("not UTF-8 text (nor JSON or XML)", line=line) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(rows, [])]
    if set(header) >= COMMONS_MPS_COLUMNS:
        fmt, read = "commons-mps-csv", _commons_mps_row
    elif set(GENERIC_COLUMNS) <= set(header):
        fmt, read = "members-csv", _generic_row
    else:
        raise ParseError(
            "not a member list: a CSV needs the columns "
            f"{', '.join(GENERIC_COLUMNS)} (optional: {', '.join(GENERIC_OPTIONAL)})",
            line=1,
        )
    members = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ParseError(f"{len(row)} columns where the header has {len(header)}", line=line)
        record = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
        if not record["name"]:
            raise ParseError("no name", line=line)
        members.append(read(record, f"line {line}", line))
    if not members:
        raise ParseError("no members: the CSV has a header and nothing else")
    return ParsedMemberList(format=fmt, members=tuple(members))


def _commons_mps_row(record: dict[str, str], where: str, line: int) -> ParsedMember:
    identifiers = [
        Identifier(IdentifierScheme.PARLPARSE_PERSON, _person_id(record["twfy_person_id"], line))
    ]
    if record.get("mnis_id"):
        identifiers.append(Identifier(IdentifierScheme.MNIS, record["mnis_id"]))
    header = record.get("regmem_header", "")  # "Abbott, Ms Diane (Hackney North and ...)"
    sort_name = _sort_from_header(header) or sort_name_for(record["name"])
    return ParsedMember(
        name=record["name"],
        sort_name=sort_name,
        party=party_name(record["party_ge2024"] or record.get("party_nov2019_guardian", "")),
        constituency=record["constituency_pre2024"],
        identifiers=tuple(identifiers),
        where=where,
    )


def _generic_row(record: dict[str, str], where: str, line: int) -> ParsedMember:
    identifiers = []
    if record.get("person_id"):
        identifiers.append(
            Identifier(IdentifierScheme.PARLPARSE_PERSON, _person_id(record["person_id"], line))
        )
    if record.get("mnis_id"):
        identifiers.append(Identifier(IdentifierScheme.MNIS, record["mnis_id"]))
    return ParsedMember(
        name=record["name"],
        sort_name=sort_name_for(record["name"]),
        party=party_name(record["party"]),
        constituency=record["constituency"],
        house=_house(record.get("house", ""), line=line),
        start_date=_date(record.get("start_date", ""), "start_date", line=line),
        end_date=_date(record.get("end_date", ""), "end_date", line=line),
        identifiers=tuple(identifiers),
        where=where,
    )


def _sort_from_header(header: str) -> str:
    surname, comma, rest = header.partition("(")[0].partition(",")
    if not comma:
        return ""
    given = [word for word in rest.split() if word.lower().strip(".") not in TITLES]
    return f"{surname.strip()}, {' '.join(given)}" if given else surname.strip()


# -- ParlParse XML -----------------------------------------------------------------------


def parse_parlparse(raw: bytes) -> ParsedMemberList:
    root = parse_xml(raw)  # safe: no external entities, no network, bounded expansion
    members = [_term(element) for element in root.iter("member")]
    people = [_person(element) for element in root.iter("person")]
    if members:
        return ParsedMemberList(format="parlparse-members", members=tuple(members))
    if people:
        return ParsedMemberList(format="parlparse-people", people=tuple(people))
    raise ParseError(
        f"no <member> or <person> elements in <{root.tag!s}>: not a ParlParse member list"
    )


def _term(element: etree._Element) -> ParsedMember:
    line = element.sourceline
    member_id = _required(element, "id", line)
    first, last = element.get("firstname", "").strip(), element.get("lastname", "").strip()
    if not last:
        raise ParseError(f"member {member_id} has no lastname", line=line)
    start = _date(element.get("fromdate", ""), "fromdate", line=line)
    end = _date(element.get("todate", ""), "todate", line=line)
    identifiers = [Identifier(IdentifierScheme.PARLPARSE_MEMBER, member_id, start, end)]
    if element.get("datadotparl_id"):
        identifiers.append(Identifier(IdentifierScheme.MNIS, element.get("datadotparl_id", "")))
    return ParsedMember(
        name=f"{first} {last}".strip(),
        sort_name=f"{last}, {first}" if first else last,
        party=party_name(element.get("party", "")),
        constituency=_spaces(element.get("constituency", "")),
        house=_house(element.get("house", "") or House.COMMONS, line=line),
        start_date=start,
        end_date=end,
        identifiers=tuple(identifiers),
        where=f"line {line}",
    )


def _person(element: etree._Element) -> ParsedPerson:
    line = element.sourceline
    person_id = _required(element, "id", line)
    if not person_id.startswith(PERSON_PREFIX):
        raise ParseError(f"person id {person_id!r} is not {PERSON_PREFIX}NNNNN", line=line)
    # Seat-terms only: ministerial offices and committee posts are not speakers' ids.
    offices = [office.get("id", "") for office in element.iter("office")]
    member_ids = tuple(
        office
        for office in offices
        if office.startswith(("uk.org.publicwhip/member/", "uk.org.publicwhip/lord/"))
    )
    lords = any(office.startswith("uk.org.publicwhip/lord/") for office in member_ids)
    name = element.get("latestname", "").strip()
    if not name:
        raise ParseError(f"person {person_id} has no latestname", line=line)
    return ParsedPerson(
        person_id=person_id,
        name=name,
        member_ids=member_ids,
        house=House.LORDS if lords else House.COMMONS,
        where=f"line {line}",
    )


def _required(element: etree._Element, attribute: str, line: int | None) -> str:
    value = element.get(attribute, "").strip()
    if not value:
        raise ParseError(f"<{element.tag!s}> without {attribute}", line=line)
    return value


def _spaces(text: str) -> str:
    # ParlParse writes "&amp;" in constituencies; lxml has turned it into "&" already.
    return " ".join(text.split())


# -- Popolo JSON -------------------------------------------------------------------------

POPOLO_SCHEMES = {
    "parlparse": IdentifierScheme.PARLPARSE_PERSON,
    "parlparse-person": IdentifierScheme.PARLPARSE_PERSON,
    "uk.org.publicwhip": IdentifierScheme.PARLPARSE_PERSON,
    "twfy": IdentifierScheme.PARLPARSE_PERSON,
    "parlparse-member": IdentifierScheme.PARLPARSE_MEMBER,
    "datadotparl_id": IdentifierScheme.MNIS,
    "datadotparl": IdentifierScheme.MNIS,
    "mnis": IdentifierScheme.MNIS,
}


def parse_popolo(raw: bytes) -> ParsedMemberList:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ParseError("JSON that is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise ParseError(f"not valid JSON: {error.msg}", line=error.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("persons"), list):
        raise ParseError('not Popolo JSON: no "persons" list')
    organizations = {org.get("id"): org for org in _records(data, "organizations")}
    areas = {area.get("id"): area for area in _records(data, "areas")}
    memberships: dict[object, list[tuple[str, dict[str, Any]]]] = {}  # by person_id
    for n, membership in enumerate(_records(data, "memberships")):
        where = f"memberships[{n}]"
        if not membership.get("person_id"):
            raise ParseError(f"{where}: no person_id")
        memberships.setdefault(membership["person_id"], []).append((where, membership))
    members = []
    for n, person in enumerate(data["persons"]):
        where = f"persons[{n}]"
        if not isinstance(person, dict) or not str(person.get("name", "")).strip():
            raise ParseError(f"{where}: a person needs a name")
        name = " ".join(str(person["name"]).split())
        terms = [
            _popolo_term(membership, organizations, areas, where=w)
            for w, membership in memberships.get(person.get("id"), [])
        ]
        terms.sort(key=lambda term: term["start"] or datetime.date.min)
        latest = terms[-1] if terms else {}
        starts = [term["start"] for term in terms if term["start"]]
        members.append(
            ParsedMember(
                name=name,
                sort_name=person.get("sort_name")
                or (
                    f"{person['family_name']}, {person['given_name']}"
                    if person.get("family_name") and person.get("given_name")
                    else sort_name_for(name)
                ),
                party=latest.get("party", ""),
                constituency=latest.get("constituency", ""),
                house=latest.get("house", House.COMMONS),
                start_date=min(starts) if starts else None,
                end_date=latest.get("end"),
                identifiers=_popolo_identifiers(person, where),
                where=where,
            )
        )
    return ParsedMemberList(format="popolo", members=tuple(members))


def _records(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    records = data.get(key, [])
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ParseError(f'"{key}" must be a list of objects')
    return records


class _Term(TypedDict, total=False):  # empty for a person with no membership
    party: str
    constituency: str
    house: str
    start: datetime.date | None
    end: datetime.date | None


def _popolo_term(
    membership: dict[str, Any],
    organizations: dict[object, dict[str, Any]],
    areas: dict[object, dict[str, Any]],
    *,
    where: str,
) -> _Term:
    party = organizations.get(membership.get("on_behalf_of_id"), {}).get("name", "")
    chamber = organizations.get(membership.get("organization_id"), {})
    area = membership.get("area") or areas.get(membership.get("area_id"), {})
    house_name = chamber.get("name", "") or House.COMMONS
    house = House.named(house_name)
    if house is None:
        raise ParseError(f"{where}: unknown house {house_name!r}")
    return {
        "party": party_name(party),
        "constituency": area.get("name", "") if isinstance(area, dict) else "",
        "house": house,
        "start": _date(membership.get("start_date", ""), f"{where}.start_date"),
        "end": _date(membership.get("end_date", ""), f"{where}.end_date"),
    }


def _popolo_identifiers(person: dict[str, Any], where: str) -> tuple[Identifier, ...]:
    identifiers = []
    for n, entry in enumerate(person.get("identifiers", [])):
        scheme, value = entry.get("scheme", ""), str(entry.get("identifier", "")).strip()
        if not scheme or not value:
            raise ParseError(f"{where}.identifiers[{n}]: needs scheme and identifier")
        ours = POPOLO_SCHEMES.get(scheme.lower(), IdentifierScheme.OTHER)
        if ours == IdentifierScheme.PARLPARSE_PERSON:
            value = _person_id(value, None, where=f"{where}.identifiers[{n}]")
        elif ours == IdentifierScheme.OTHER:
            value = f"{scheme}:{value}"  # other schemes share one column: keep them apart
        identifiers.append(Identifier(ours, value))
    return tuple(identifiers)


# -- Shared ------------------------------------------------------------------------------


def party_name(party: str) -> str:
    party = " ".join(party.split())
    return PARTIES.get(party.lower(), party)


def sort_name_for(name: str) -> str:
    """ "Diane Abbott" -> "Abbott, Diane"; "Baroness Adams of Craigielea" stays as it is."""
    words = name.split()
    if len(words) < 2 or " of " in name:
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def _person_id(value: str, line: int | None, *, where: str = "") -> str:
    value = value.strip()
    if value.isdigit():
        return PERSON_PREFIX + value
    if not re.fullmatch(re.escape(PERSON_PREFIX) + r"\d+", value):
        message = f"person id {value!r} is not {PERSON_PREFIX}NNNNN (or a number)"
        raise ParseError(f"{where}: {message}" if where else message, line=line)
    return value


def _house(value: str, *, line: int | None) -> str:
    if not value:
        return House.COMMONS
    house = House.named(value)
    if house is None:
        raise ParseError(f"unknown house {value!r}; one of {', '.join(House.values)}", line=line)
    return house


def _date(value: str, name: str, *, line: int | None = None) -> datetime.date | None:
    value = (value or "").strip()
    if not value or value.startswith("9999"):  # ParlParse: 9999-12-31 is "still serving"
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{name} {value!r} is not a date (YYYY-MM-DD)", line=line) from None
