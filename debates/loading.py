"""The one place that writes debates.

`load_file` takes the bytes of a transcript, parses them (pure, see `importers`) and writes
the source file, its debates and their speeches in one transaction: a file loads whole or
not at all. Loading the same bytes again changes nothing; `replace=True` reloads.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from search import indexing as search_index

from .importers import detect
from .importers.transcript import DebateMetadata, ParsedDebate, ParsedTranscript, ParseError
from .models import CITATION_PREFIX, Debate, DebateKind, House, MemberIdentifier, SourceFile, Speech


class LoadError(ValueError):
    """A file that cannot be loaded; the message names the file (and line) and what to do."""


@dataclass
class LoadResult:
    name: str
    status: str  # "loaded", "replaced", "unchanged", or with dry_run "would load"/"would replace"
    debates: list[Debate] = field(default_factory=list)
    debate_count: int = 0
    speech_count: int = 0
    sentence_count: int = 0
    removed_debate_count: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def wrote(self) -> bool:
        return self.status in {"loaded", "replaced"}


def load_file(
    raw: bytes,
    *,
    name: str,
    metadata: DebateMetadata = DebateMetadata(),
    replace: bool = False,
    dry_run: bool = False,
) -> LoadResult:
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = SourceFile.objects.filter(sha256=sha256).first()
    if existing and not replace and existing.debates.exists():
        return LoadResult(name=name, status="unchanged", debates=list(existing.debates.all()))

    try:
        parsed = detect.parse(raw, metadata=metadata)
    except ParseError as error:
        raise LoadError(f"{name}: {error}") from error
    for debate in parsed.debates:
        _check(name, debate)

    superseded = _superseded(parsed, existing)
    if superseded and not replace:
        old = superseded[0]
        raise LoadError(
            f"{name}: {old.title!r} ({old.citation}) is already loaded"
            f"{f' from {old.source_file.name}' if old.source_file else ''};"
            " use --replace to load this file in its place"
        )
    status = "replaced" if superseded else "loaded"
    result = LoadResult(
        name=name,
        status={"loaded": "would load", "replaced": "would replace"}[status] if dry_run else status,
        debate_count=len(parsed.debates),
        speech_count=parsed.speech_count,
        sentence_count=parsed.sentence_count,
        removed_debate_count=len(superseded),
        warnings=parsed.warnings,
    )
    if dry_run:
        return result
    with transaction.atomic():
        # Deleting sends each old speech to the index for removal (search.indexing).
        Debate.objects.filter(id__in=[debate.id for debate in superseded]).delete()
        source = existing or SourceFile(sha256=sha256, size=len(raw), raw=raw)
        source.name, source.format = _file_name(name), parsed.format
        source.save()
        result.debates = load_transcript(parsed, source=source)
        search_index.schedule_sync(debate_ids=[debate.id for debate in result.debates])
    return result


def load_transcript(parsed: ParsedTranscript, *, source: SourceFile) -> list[Debate]:
    """Write the debates of one parsed transcript. Call inside a transaction (`load_file`)."""
    refs = {speech.member_ref for debate in parsed.debates for speech in debate.speeches}
    members = _members_by_ref(refs - {""})
    debates = []
    for parsed_debate in parsed.debates:
        debate = Debate.objects.create(
            title=parsed_debate.title,
            date=parsed_debate.date,
            house=parsed_debate.house,
            kind=parsed_debate.kind,
            slug=_unique_slug(parsed_debate),
            source_reference=parsed_debate.source_reference,
            source_file=source,
        )
        Speech.objects.bulk_create(
            Speech(
                debate=debate,
                position=position,
                member_id=members.get(speech.member_ref),
                speaker_name=speech.speaker_name,
                speaker_role=speech.speaker_role,
                speaker_constituency=speech.speaker_constituency,
                speaker_party=speech.speaker_party,
                kind=speech.kind,
                heading=speech.heading,
                source_reference=speech.source_reference,
                text="\n\n".join("\n".join(paragraph) for paragraph in speech.paragraphs),
            )
            for position, speech in enumerate(parsed_debate.speeches, start=1)
        )
        debates.append(debate)
    return debates


def _check(name: str, debate: ParsedDebate) -> None:
    if debate.house not in House.values:
        raise LoadError(f"{name}: unknown house {debate.house!r}; one of {', '.join(House.values)}")
    if debate.kind not in DebateKind.values:
        raise LoadError(
            f"{name}: unknown kind {debate.kind!r}; one of {', '.join(DebateKind.values)}"
        )
    if not debate.speeches:
        raise LoadError(f"{name}: {debate.title!r} has no speeches")
    for field_name in ("title", "source_reference"):
        limit = Debate._meta.get_field(field_name).max_length
        if len(getattr(debate, field_name)) > limit:
            raise LoadError(
                f"{name}: the {field_name.replace('_', ' ')} is longer than {limit} characters"
            )


def _file_name(name: str) -> str:
    """The name as given, shortened to fit its column but keeping the extension."""
    limit = SourceFile._meta.get_field("name").max_length
    if len(name) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem[: limit - len(suffix) - 2]}…{dot}{suffix}" if dot else name[: limit - 1] + "…"


def _superseded(parsed: ParsedTranscript, source: SourceFile | None) -> list[Debate]:
    """Debates already loaded that this transcript would load again: those of the same source
    file, and those with the same official reference, or the same date, house and title."""
    found = []
    if source:
        found.extend(source.debates.all())
    for debate in parsed.debates:
        same = Debate.objects.filter(date=debate.date, house=debate.house, title=debate.title)
        if debate.source_reference:
            same = same | Debate.objects.filter(source_reference=debate.source_reference)
        found.extend(same.select_related("source_file"))
    return list({debate.id: debate for debate in found}.values())


def _unique_slug(debate: ParsedDebate) -> str:
    base = slugify(debate.title)[:180].strip("-") or "debate"
    taken = set(Debate.objects.filter(date=debate.date).values_list("slug", flat=True))
    candidates = [base, f"{base}-{CITATION_PREFIX.get(debate.house, debate.house).lower()}"]
    candidates += [f"{base}-{n}" for n in range(2, len(taken) + 3)]
    return next(slug for slug in candidates if slug not in taken)


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
