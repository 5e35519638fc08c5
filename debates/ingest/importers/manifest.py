"""manifest.json: title, date, house and kind for files that carry none.

{"files": {"000_9ca9d066f0ebde3b.txt": {"title": "Israel and Gaza", "date": "2023-12-19",
                                        "house": "commons", "kind": "urgent-question"}}}
"""

import datetime
import json

from .transcript import DebateMetadata, ParseError

FIELDS = {"title", "date", "house", "kind", "source_reference"}


def parse_manifest(raw: bytes) -> dict[str, DebateMetadata]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ParseError("the manifest is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise ParseError(
            f"the manifest is not valid JSON: {error.msg}", line=error.lineno
        ) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise ParseError('the manifest needs an object "files" mapping file names to metadata')
    return {name: _metadata(name, entry) for name, entry in files.items()}


def _metadata(name: str, entry: object) -> DebateMetadata:
    if not isinstance(entry, dict):
        raise ParseError(f"manifest entry {name!r} must be an object")
    unknown = set(entry) - FIELDS
    if unknown:
        raise ParseError(
            f"manifest entry {name!r} has unknown fields: {', '.join(sorted(unknown))}"
        )
    wrong = sorted(key for key, value in entry.items() if not isinstance(value, str))
    if wrong:
        raise ParseError(f"manifest entry {name!r}: {', '.join(wrong)} must be text")
    values = {key: value.strip() for key, value in entry.items()}
    if "date" in values:
        values["date"] = parse_date(values["date"], where=f"manifest entry {name!r}")
    return DebateMetadata(**values)


def parse_date(value: str, *, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{where}: {value!r} is not a date in the form YYYY-MM-DD") from None
