"""Who spoke: resolving the speakers a transcript names to members.

`resolve(debates)` answers, for every speech of every parsed debate, the id of the member
who gave it, or None. It only reads; `debates.loading` writes what it answers, and the
upload preview counts it.
"""

from collections.abc import Sequence

from .importers.transcript import ParsedDebate
from .models import MemberIdentifier


def resolve(debates: Sequence[ParsedDebate]) -> list[list[int | None]]:
    """Member ids per speech, debate by debate, in the order given."""
    refs = {speech.member_ref for debate in debates for speech in debate.speeches}
    by_ref = _members_by_ref(refs - {""})
    return [[by_ref.get(speech.member_ref) for speech in debate.speeches] for debate in debates]


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
