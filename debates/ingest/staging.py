"""Uploading transcripts through the admin: preview, keep, confirm.

1. `sources.from_uploads` turns the uploaded files into transcripts (a .zip opens into its
   entries, a manifest.json among them names its folder's files), as for `load_transcripts`.
2. `preview` plans each file (`loading.plan_file`) without writing anything.
3. `stage` keeps the bytes in CHAMBER_UPLOAD_DIR under an unguessable key until the clerk
   confirms; the token that names them is signed, dated and tied to the user.
4. `confirm` plans the kept bytes again (the database may have changed meanwhile) and loads
   them all in one transaction (`loading.load_files`), then forgets them.

What is kept longer than a day is removed the next time anyone stages or confirms.
"""

import dataclasses
import datetime
import hashlib
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing

from .importers import detect
from .importers.transcript import DebateMetadata, ParseError
from .loading import FilePlan, LoadResult, PlanStatus, load_files, plan_file
from .sources import Transcript

if TYPE_CHECKING:  # models are not imported before the app registry is ready
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

MAX_AGE = 24 * 60 * 60  # seconds a staged upload is kept
_SALT = "debates.uploads.staged"  # as when this was debates/uploads.py: tokens given stay good
_KEY = re.compile(r"^[A-Za-z0-9_-]{32}$")
_METADATA_FIELDS = [f.name for f in dataclasses.fields(DebateMetadata)]


class StagingError(ValueError):
    """A confirmation whose token is missing, altered, someone else's, or too old."""


@dataclass
class Staged:
    token: str
    key: str
    transcripts: list[Transcript]
    metadata: DebateMetadata  # given in the form; wins over a manifest's


@dataclass
class Confirmed:
    results: list[LoadResult]


@dataclass
class Preview:
    plans: list[FilePlan]
    # "title"/"date" -> the plain-text files that need it from the form
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [plan.error for plan in self.plans if plan.error]

    @property
    def choices_needed(self) -> list[int]:
        return [n for n, plan in enumerate(self.plans) if plan.status == PlanStatus.REPEATS]

    @property
    def debate_count(self) -> int:
        return sum(len(plan.debates) for plan in self.plans)

    @property
    def speech_count(self) -> int:
        return sum(debate.speech_count for plan in self.plans for debate in plan.debates)

    @property
    def loads_something(self) -> bool:
        return any(plan.status in {PlanStatus.NEW, PlanStatus.REPEATS} for plan in self.plans)


# -- Preview and confirmation ----------------------------------------------------------------


def preview(transcripts: list[Transcript], metadata: DebateMetadata) -> Preview:
    """What loading these files would do. Reads the database, writes nothing."""
    plans: list[FilePlan] = []
    missing: dict[str, list[str]] = {}
    seen: dict[str, str] = {}  # sha256 -> name
    for transcript in transcripts:
        given = _merged(transcript.metadata, metadata)
        plan = plan_file(transcript.raw, name=transcript.name, metadata=given)
        if not plan.error and plan.sha256 in seen:
            plan.error = f"{plan.name}: the same bytes as {seen[plan.sha256]} in this upload"
        seen.setdefault(plan.sha256, plan.name)
        if plan.error and _is_plain_text(transcript.raw):
            for name in ("title", "date"):
                if not getattr(given, name):
                    missing.setdefault(name, []).append(plan.name)
        plans.append(plan)
    return Preview(plans=plans, missing=missing)


def confirm(staged: Staged, *, replace: set[str], skip: set[str]) -> Confirmed:
    """Load the staged files in one transaction and forget the staged bytes. The index
    follows the commit (search.indexing), or shortly after if another writer holds it.

    Raises LoadError (or DatabaseError) having written nothing; the bytes stay staged."""
    files = [(t.name, t.raw, _merged(t.metadata, staged.metadata)) for t in staged.transcripts]
    results = load_files(files, replace=replace, skip=skip)
    discard(staged.key)
    return Confirmed(results=results)


def _merged(found: DebateMetadata, given: DebateMetadata) -> DebateMetadata:
    """What the form gives wins over what a manifest says."""
    values = {name: getattr(given, name) for name in _METADATA_FIELDS if getattr(given, name)}
    return dataclasses.replace(found, **values)


def _is_plain_text(raw: bytes) -> bool:
    try:
        return detect.detect_format(raw) == "plaintext"
    except ParseError:
        return False


# -- Staging ---------------------------------------------------------------------------------


def upload_dir() -> Path:
    return Path(settings.CHAMBER_UPLOAD_DIR)


def stage(
    transcripts: list[Transcript],
    metadata: DebateMetadata,
    *,
    user: "AbstractBaseUser | AnonymousUser",
) -> str:
    """Keep the files until they are confirmed; returns the token that names them."""
    clean_expired()
    key = secrets.token_urlsafe(24)  # 32 characters
    folder = upload_dir() / key
    folder.mkdir(parents=True, mode=0o700)
    for position, transcript in enumerate(transcripts):
        (folder / f"{position:04}.bin").write_bytes(transcript.raw)
    index = {
        "user": user.pk,
        "metadata": _metadata_json(metadata),
        "files": [
            {
                "name": t.name,
                "sha256": hashlib.sha256(t.raw).hexdigest(),
                "metadata": _metadata_json(t.metadata),
            }
            for t in transcripts
        ],
    }
    (folder / "upload.json").write_text(json.dumps(index), encoding="utf-8")
    return signing.dumps({"key": key, "user": user.pk}, salt=_SALT)


def unstage(token: str, *, user: "AbstractBaseUser | AnonymousUser") -> Staged:
    """The files a token names, if it was given to this user less than a day ago."""
    clean_expired()
    again = "Upload the files again to preview them."
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise StagingError(f"This preview is more than a day old. {again}") from None
    except signing.BadSignature:
        raise StagingError(f"This preview is not one Chamber made for you. {again}") from None
    key = data.get("key", "") if isinstance(data, dict) else ""
    if data.get("user") != user.pk or not _KEY.match(key):
        raise StagingError(f"This preview is not one Chamber made for you. {again}")
    folder = upload_dir() / key
    try:
        index = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
        transcripts = []
        for position, entry in enumerate(index["files"]):
            raw = (folder / f"{position:04}.bin").read_bytes()
            if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
                raise StagingError(f"The kept copy of {entry['name']} has changed. {again}")
            transcripts.append(
                Transcript(name=entry["name"], raw=raw, metadata=_metadata(entry["metadata"]))
            )
    except StagingError:
        raise
    except (OSError, ValueError, KeyError):
        raise StagingError(
            f"The files of this preview are no longer kept: loaded already, or discarded. {again}"
        ) from None
    return Staged(
        token=token, key=key, transcripts=transcripts, metadata=_metadata(index["metadata"])
    )


def discard(key: str) -> None:
    if _KEY.match(key):
        shutil.rmtree(upload_dir() / key, ignore_errors=True)


def clean_expired(*, now: float | None = None) -> None:
    """Remove what was staged more than a day ago (and never confirmed)."""
    folder = upload_dir()
    if not folder.is_dir():
        return
    cutoff = (now or time.time()) - MAX_AGE
    for path in folder.iterdir():
        try:
            if path.is_dir() and _KEY.match(path.name) and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:  # pragma: no cover - removed by another request meanwhile
            continue


def _metadata_json(metadata: DebateMetadata) -> dict[str, Any]:
    values = dataclasses.asdict(metadata)
    values["date"] = metadata.date.isoformat() if metadata.date else None
    return values


def _metadata(values: dict[str, Any]) -> DebateMetadata:
    values = {key: values[key] for key in _METADATA_FIELDS if key in values}
    if values.get("date"):
        values["date"] = datetime.date.fromisoformat(values["date"])
    return DebateMetadata(**values)
