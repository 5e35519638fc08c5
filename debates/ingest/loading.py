"""The one place that writes debates.

`plan_file` parses the bytes of a transcript (pure, see `importers`), resolves its speakers
and compares it with what is loaded, without writing: the upload preview shows it.
`load_files` writes files, their debates and their speeches in one transaction: an upload
loads whole or not at all. Loading the same bytes again changes nothing; a newer version of
a record (ParlParse's debates2009-10-26b.xml after ...26a.xml) takes the older one's place,
and the raw bytes of every version are kept.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Field, Model, Q
from django.utils.text import slugify

from .. import signals
from ..choices import Choices, DebateKind, House
from ..models import Debate, SourceFile, Speech
from ..words import size
from . import bulk, speakers
from .importers import detect
from .importers.transcript import (
    DebateMetadata,
    ParsedDebate,
    ParsedSpeech,
    ParsedTranscript,
    ParseError,
)


class LoadError(ValueError):
    """A file that cannot be loaded; the message names the file (and line) and what to do."""


class PlanStatus(Choices):
    """What loading a file would do (`FilePlan.status`), as the upload preview says it."""

    ERROR = "error", "Cannot be loaded"
    UNCHANGED = "unchanged", "Already loaded: these same bytes"
    OLDER_VERSION = "older-version", "Will be skipped: a newer version is loaded"
    # Debates loaded already from other bytes: the clerk chooses to skip or replace.
    REPEATS = "repeats", "Repeats what is loaded: choose below"
    NEW = "new", "New"


class LoadStatus(Choices):
    """What loading a file did (`LoadResult.status`)."""

    LOADED = "loaded", "Loaded"
    REPLACED = "replaced", "Loaded in place of what was loaded"
    UNCHANGED = "unchanged", "Already loaded: nothing changed"
    SKIPPED = "skipped", "Skipped"
    WOULD_LOAD = "would load", "Would be loaded"  # a dry run
    WOULD_REPLACE = "would replace", "Would be loaded in place of what is loaded"


@dataclass
class DebatePlan:
    """One debate of a file as it would be loaded: what the upload preview shows."""

    parsed: ParsedDebate
    member_ids: list[int | None]  # per speech, from `speakers.resolve`
    repeats: list[Debate] = field(default_factory=list)  # loaded already: same id, or date+title

    @property
    def speech_count(self) -> int:
        return len(self.parsed.speeches)

    @property
    def house_label(self) -> str:
        return House.label_of(self.parsed.house)

    @property
    def kind_label(self) -> str:
        return DebateKind.label_of(self.parsed.kind)

    @property
    def resolved_count(self) -> int:
        return sum(member_id is not None for member_id in self.member_ids)

    @property
    def unresolved_names(self) -> list[str]:
        """Names printed that resolve to no member, each once, in order of appearance; not
        offices or groups ("Mr Speaker", "Hon. Members"), which no one member answers to."""
        names = (
            speech.speaker_name
            for speech, member_id in zip(self.parsed.speeches, self.member_ids, strict=True)
            if member_id is None
            and speech.speaker_name
            and not speakers.is_role_only(speech.speaker_name)
        )
        return list(dict.fromkeys(names))

    @property
    def warnings(self) -> list[str]:
        empty = sum(not speech.sentences for speech in self.parsed.speeches)
        return [f"{empty} of the speeches are empty"] if empty else []


@dataclass
class FilePlan:
    """What loading one file would do, worked out without writing anything."""

    name: str
    raw: bytes
    sha256: str
    error: str = ""  # why it cannot be loaded; the rest is then empty
    format: str = ""
    warnings: tuple[str, ...] = ()
    debates: list[DebatePlan] = field(default_factory=list)
    kept: SourceFile | None = None  # these same bytes are kept already (loaded or not)
    unchanged: SourceFile | None = None  # these same bytes are loaded already
    newer: SourceFile | None = None  # a newer version of the same record is loaded
    older: list[SourceFile] = field(default_factory=list)  # older versions this one replaces
    parsed: ParsedTranscript | None = None

    @property
    def repeats(self) -> list[Debate]:
        """Debates loaded already from elsewhere that this file would load again."""
        found = {debate.id: debate for plan in self.debates for debate in plan.repeats}
        return list(found.values())

    @property
    def superseded(self) -> list[Debate]:
        """Every debate that loading this file removes: repeats and older versions."""
        found = {debate.id: debate for debate in self.repeats}
        for source in self.older:
            found.update((debate.id, debate) for debate in source.debates.all())
        return list(found.values())

    @property
    def status(self) -> PlanStatus:
        if self.error:
            return PlanStatus.ERROR
        if self.unchanged:
            return PlanStatus.UNCHANGED
        if self.newer:
            return PlanStatus.OLDER_VERSION
        if self.repeats:
            return PlanStatus.REPEATS
        return PlanStatus.NEW

    @property
    def status_label(self) -> str:
        if self.status == PlanStatus.NEW and self.older:
            return "New version: replaces an older one"
        return self.status.label


@dataclass
class LoadResult:
    name: str
    status: LoadStatus
    debates: list[Debate] = field(default_factory=list)
    debate_count: int = 0
    speech_count: int = 0
    sentence_count: int = 0
    removed_debate_count: int = 0
    warnings: tuple[str, ...] = ()
    reason: str = ""  # why it was skipped

    @property
    def wrote(self) -> bool:
        return self.status in {LoadStatus.LOADED, LoadStatus.REPLACED}


@dataclass
class LoadTotals:
    """What the files of a run did, counted as each is loaded: a run of thousands of files
    keeps no file's results."""

    statuses: Counter[str] = field(default_factory=Counter)
    debates: int = 0  # written (or that would be, in a dry run)
    speeches: int = 0
    sentences: int = 0

    def add(self, result: LoadResult) -> None:
        self.statuses[str(result.status)] += 1
        if result.status not in {LoadStatus.UNCHANGED, LoadStatus.SKIPPED}:
            self.debates += result.debate_count
            self.speeches += result.speech_count
            self.sentences += result.sentence_count


def max_file_size() -> int:
    return settings.CHAMBER_MAX_TRANSCRIPT_BYTES


def plan_file(
    raw: bytes,
    *,
    name: str,
    metadata: DebateMetadata = DebateMetadata(),
    members: speakers.MemberCache | None = None,
) -> FilePlan:
    """Parse a file and compare it with what is loaded. Reads the database, never writes;
    `members` keeps what resolving its speakers read for the next file of a run."""
    plan = FilePlan(name=name, raw=raw, sha256=hashlib.sha256(raw).hexdigest())
    if len(raw) > max_file_size():
        plan.error = (
            f"{name}: the file is {size(len(raw))}, over the limit of {size(max_file_size())}"
        )
        return plan
    existing = SourceFile.objects.defer("raw").filter(sha256=plan.sha256).first()
    plan.kept = existing
    if existing and existing.debates.exists():
        plan.unchanged = existing
    try:
        parsed = detect.parse(raw, metadata=metadata)
        for debate in parsed.debates:
            _check(debate)
    except ParseError as error:
        plan.error = f"{name}: {error}"
        return plan
    plan.parsed, plan.format, plan.warnings = parsed, parsed.format, parsed.warnings
    if parsed.series:
        versions = (
            SourceFile.objects.defer("raw").filter(series=parsed.series).exclude(sha256=plan.sha256)
        )
        plan.newer = next((s for s in versions if _newer(s.version, parsed.version)), None)
        plan.older = [s for s in versions if _newer(parsed.version, s.version)]
    old_ids = {debate.id for source in plan.older for debate in source.debates.all()}
    member_ids = speakers.resolve(parsed.debates, members)
    loaded = _loaded_as(parsed.debates)
    for parsed_debate, ids, same in zip(parsed.debates, member_ids, loaded, strict=True):
        repeats = [
            debate
            for debate in same
            if debate.id not in old_ids and not (existing and debate.source_file_id == existing.id)
        ]
        plan.debates.append(DebatePlan(parsed=parsed_debate, member_ids=ids, repeats=repeats))
    return plan


def load_file(
    raw: bytes,
    *,
    name: str,
    metadata: DebateMetadata = DebateMetadata(),
    replace: bool = False,
    dry_run: bool = False,
    members: speakers.MemberCache | None = None,
) -> LoadResult:
    """Load one file in one transaction (see `load_files`); with `replace` it takes the
    place of debates loaded already from other bytes, and the same bytes load again."""
    files = [(name, raw, metadata)]
    replace_names = {name} if replace else ()
    return load_files(files, replace=replace_names, dry_run=dry_run, members=members)[0]


def load_files(
    files: list[tuple[str, bytes, DebateMetadata]],
    *,
    replace: Collection[str] = (),
    skip: Collection[str] = (),
    dry_run: bool = False,
    members: speakers.MemberCache | None = None,
) -> list[LoadResult]:
    """Load (name, bytes, metadata) files all together or not at all.

    A file whose debates are loaded already from other bytes is refused unless its name is in
    `replace`, when it takes their place, or in `skip`. The newest
    version of a record replaces older ones by itself; an older one is skipped. The same
    bytes again change nothing. Raises LoadError, having written nothing, if any file fails.
    A run of loads (`load_transcripts` over a folder) gives each the same `members`.
    """
    results = []
    members = members or speakers.MemberCache()
    with transaction.atomic():
        for name, raw, metadata in files:
            plan = plan_file(raw, name=name, metadata=metadata, members=members)
            results.append(
                _load_plan(plan, replace=name in replace, skip=name in skip, dry_run=dry_run)
            )
    return results


def _load_plan(plan: FilePlan, *, replace: bool, skip: bool, dry_run: bool) -> LoadResult:
    if plan.error:
        raise LoadError(plan.error)
    if plan.unchanged and not replace:
        return LoadResult(
            name=plan.name,
            status=LoadStatus.UNCHANGED,
            debates=list(plan.unchanged.debates.all()),
        )
    if plan.newer:
        return LoadResult(
            name=plan.name,
            status=LoadStatus.SKIPPED,
            reason=f"a newer version ({plan.newer.name}) is loaded",
        )
    if plan.repeats and skip:
        return LoadResult(name=plan.name, status=LoadStatus.SKIPPED, reason="chosen to skip")
    if plan.repeats and not replace:
        old = plan.repeats[0]
        raise LoadError(
            f"{plan.name}: {old.title!r} ({old.citation}) is already loaded"
            f"{f' from {old.source_file.name}' if old.source_file else ''};"
            " use --replace to load this file in its place"
        )
    superseded = plan.superseded
    if plan.unchanged:
        superseded += list(plan.unchanged.debates.exclude(id__in=[d.id for d in superseded]))
    if dry_run:
        status = LoadStatus.WOULD_REPLACE if superseded else LoadStatus.WOULD_LOAD
    else:
        status = LoadStatus.REPLACED if superseded else LoadStatus.LOADED
    parsed = plan.parsed
    assert parsed is not None  # a plan without an error has its parsed file
    result = LoadResult(
        name=plan.name,
        status=status,
        debate_count=len(parsed.debates),
        speech_count=parsed.speech_count,
        sentence_count=parsed.sentence_count,
        removed_debate_count=len(superseded),
        warnings=plan.warnings + tuple(w for debate in plan.debates for w in debate.warnings),
    )
    if dry_run:
        return result
    # Deleting a debate deletes its speeches, one model signal each: the index hears of them.
    Debate.objects.filter(id__in=[debate.id for debate in superseded]).delete()
    source = plan.kept or SourceFile(sha256=plan.sha256, size=len(plan.raw), raw=plan.raw)
    source.name, source.format = _file_name(plan.name), parsed.format
    source.series, source.version = parsed.series, parsed.version
    source.save()
    result.debates = _write(plan, source=source)
    written = Speech.objects.filter(debate__in=result.debates).values_list("id", flat=True)
    signals.speeches_changed.send(sender=Speech, speech_ids=written)
    return result


def _write(plan: FilePlan, *, source: SourceFile) -> list[Debate]:
    """The plan's debates and their speeches, in three queries however many there are: the
    slugs taken on their dates, the debates, and the speeches (a COPY on PostgreSQL)."""
    parsed = [debate_plan.parsed for debate_plan in plan.debates]
    debates = Debate.objects.bulk_create(
        Debate(
            title=parsed_debate.title,
            date=parsed_debate.date,
            house=parsed_debate.house,
            kind=parsed_debate.kind,
            slug=slug,
            source_reference=parsed_debate.source_reference,
            source_file_id=source.pk,  # not the instance: it holds the raw bytes
        )
        for parsed_debate, slug in zip(parsed, _unique_slugs(parsed), strict=True)
    )
    bulk.insert(
        Speech,
        (
            row
            for debate, debate_plan in zip(debates, plan.debates, strict=True)
            for row in _speech_rows(debate, debate_plan)
        ),
    )
    return debates


def _speech_rows(debate: Debate, plan: DebatePlan) -> Iterator[dict[str, object]]:
    """The column values of the debate's speeches, by field name, as `bulk.insert` takes them."""
    sections = _sections(plan.parsed.speeches)
    for position, (speech, member_id, section) in enumerate(
        zip(plan.parsed.speeches, plan.member_ids, sections, strict=True), start=1
    ):
        yield {
            "debate_id": debate.pk,
            "position": position,
            "member_id": member_id,
            "speaker_name": speech.speaker_name,
            "speaker_role": speech.speaker_role,
            "speaker_constituency": speech.speaker_constituency,
            "speaker_party": speech.speaker_party,
            "member_ref": speech.member_ref,
            "kind": speech.kind,
            "boundary": speech.boundary,
            "heading": speech.heading,
            "section": section,
            "source_reference": speech.source_reference,
            "text": "\n\n".join("\n".join(paragraph) for paragraph in speech.paragraphs),
        }


def _sections(speeches: Iterable[ParsedSpeech]) -> list[str]:
    """The section each speech is in: its own heading, else the last one before it."""
    current, sections = "", []
    for speech in speeches:
        current = speech.heading or current
        sections.append(current)
    return sections


class _Sitting(NamedTuple):
    """A loaded debate's unresolved speeches, as `speakers.resolve` reads them."""

    house: str
    date: date
    speeches: Sequence[Speech]


def resolve_loaded_speeches(*, chunk: int = 200) -> int:
    """Give speeches that resolved to no member when they were loaded the member they resolve
    to now (after `load_members`, say), and send them to the index. Returns how many."""
    unresolved = (
        Speech.objects.filter(member__isnull=True)
        .exclude(speaker_name="", member_ref="")
        .values_list("debate_id", flat=True)
        .distinct()
    )
    debate_ids = sorted(unresolved)
    changed: dict[int, list[int]] = {}  # member id -> speech ids
    for start in range(0, len(debate_ids), chunk):
        debates = Debate.objects.filter(id__in=debate_ids[start : start + chunk])
        speeches = Speech.objects.filter(debate__in=debates, member__isnull=True).order_by(
            "debate_id", "position"
        )
        by_debate: dict[int, tuple[Debate, list[Speech]]] = {
            debate.id: (debate, []) for debate in debates
        }
        for speech in speeches:
            by_debate[speech.debate_id][1].append(speech)
        loaded = [
            _Sitting(house=debate.house, date=debate.date, speeches=rows)
            for debate, rows in by_debate.values()
        ]
        member_ids = speakers.resolve(loaded)
        for (_, rows), ids in zip(by_debate.values(), member_ids, strict=True):
            for speech, member_id in zip(rows, ids, strict=True):
                if member_id is not None:
                    changed.setdefault(member_id, []).append(speech.id)
    if changed:
        with transaction.atomic():
            for member_id, speech_ids in changed.items():
                Speech.objects.filter(id__in=speech_ids).update(member_id=member_id)
            signals.speeches_changed.send(
                sender=Speech, speech_ids=[i for ids in changed.values() for i in ids]
            )
    return sum(map(len, changed.values()))


def _check(debate: ParsedDebate) -> None:
    """What the importers leave to the database's rules, checked before anything is written."""
    if debate.house not in House.values:
        raise ParseError(f"unknown house {debate.house!r}; one of {', '.join(House.values)}")
    if debate.kind not in DebateKind.values:
        raise ParseError(f"unknown kind {debate.kind!r}; one of {', '.join(DebateKind.values)}")
    if not debate.speeches:
        raise ParseError(f"{debate.title!r} has no speeches")
    for field_name in ("title", "source_reference"):
        limit = max_length(Debate, field_name)
        if len(getattr(debate, field_name)) > limit:
            raise ParseError(
                f"the {field_name.replace('_', ' ')} of {debate.title[:60]!r} is longer than"
                f" {limit} characters"
            )
    for speech in debate.speeches:
        for field_name in ("speaker_name", "speaker_role", "speaker_constituency", "heading"):
            limit = max_length(Speech, field_name)
            if len(getattr(speech, field_name)) > limit:
                raise ParseError(
                    f"a speech's {field_name.replace('_', ' ')} is longer than {limit} characters",
                    line=speech.line,
                )


def max_length(model: type[Model], field_name: str) -> int:
    """The most characters a text column of `model` holds."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{field_name} has no max_length")
    return field.max_length


def _file_name(name: str) -> str:
    """The name as given, shortened to fit its column but keeping the extension."""
    limit = max_length(SourceFile, "name")
    if len(name) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem[: limit - len(suffix) - 2]}…{dot}{suffix}" if dot else name[: limit - 1] + "…"


def _loaded_as(debates: Sequence[ParsedDebate], *, chunk: int = 100) -> list[list[Debate]]:
    """For each debate, the debates already loaded as it: the same official id, or date,
    house and title. One query for each `chunk` of debates (a sitting day's are one)."""
    found: dict[int, Debate] = {}
    for start in range(0, len(debates), chunk):
        same = reduce(or_, (_same_as(debate) for debate in debates[start : start + chunk]))
        rows = Debate.objects.filter(same).select_related("source_file")
        found.update((debate.id, debate) for debate in rows.defer("source_file__raw"))
    ordered = sorted(found.values(), key=lambda debate: (debate.date, debate.id))
    return [[loaded for loaded in ordered if _is_same(loaded, debate)] for debate in debates]


def _same_as(debate: ParsedDebate) -> Q:
    same = Q(date=debate.date, house=debate.house, title=debate.title)
    if debate.source_reference:
        same |= Q(source_reference=debate.source_reference)
    return same


def _is_same(loaded: Debate, debate: ParsedDebate) -> bool:
    """`_same_as`, in Python."""
    if debate.source_reference and loaded.source_reference == debate.source_reference:
        return True
    return (loaded.date, loaded.house, loaded.title) == (debate.date, debate.house, debate.title)


def _newer(version: str, than: str) -> bool:
    """ParlParse versions are letters: "b" is newer than "a", "aa" than "z"."""
    return (len(version), version) > (len(than), than)


def _unique_slugs(debates: Sequence[ParsedDebate]) -> list[str]:
    """A slug for each debate, unique on its date among those loaded and those before it in
    the list, in one query."""
    taken: defaultdict[date, dict[str, str]] = defaultdict(dict)  # date -> slug -> house
    rows = Debate.objects.filter(date__in={debate.date for debate in debates})
    for day, slug, house in rows.values_list("date", "slug", "house"):
        taken[day][slug] = house
    slugs = []
    for debate in debates:
        on_the_day = taken[debate.date]
        slug = _unique_slug(debate, on_the_day)
        on_the_day[slug] = debate.house
        slugs.append(slug)
    return slugs


def _unique_slug(debate: ParsedDebate, on_the_day: dict[str, str]) -> str:
    """A slug for the debate not among those taken on its date (slug -> house)."""
    base = slugify(debate.title)[:180].strip("-") or "debate"
    taken = set(on_the_day)
    candidates = [base]
    # The same title in another House that day is told apart by the House ("-hl"); a second
    # debate of the same title in the same House by a number ("-2").
    if on_the_day.get(base) != debate.house:
        house = House.of(debate.house)
        suffix = house.citation_prefix if house and house.citation_prefix else debate.house
        candidates.append(f"{base}-{suffix.lower()}")
    candidates += [f"{base}-{n}" for n in range(2, len(taken) + 3)]
    return next(slug for slug in candidates if slug not in taken)
