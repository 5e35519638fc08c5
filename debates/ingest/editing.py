"""An editor's corrections to where speeches begin and end: merge two, or split one.

A plain-text transcript's turns are inferred (`importers.turns`), and an inference can be
wrong; the admin puts it right here. Each edit is one transaction: positions stay 1, 2, 3 ...
with no gap or repeat (the (debate, position) constraint holds at every statement), the
speeches it touches are marked EDITED, and `signals.speeches_changed` sends every speech
added, changed, moved or removed so the index follows at commit.

Sentence links (`#s4-2`) name a speech by position: after an edit the sentences of the
speeches it touched keep their order and numbering runs on through the merged speech, and
the speeches after it move up or down by one.
"""

from django.db import transaction
from django.db.models import F

from ..choices import SpeechBoundary, SpeechKind
from ..models import Debate, Speech
from ..signals import speeches_changed

# Positions are moved out of the way and back in two statements, so no row ever takes a
# position another still holds (PostgreSQL checks the unique constraint row by row).
_OUT_OF_THE_WAY = 1_000_000


class EditError(ValueError):
    """An edit that cannot be made, with the reason an editor can act on."""


_SPEAKER_FIELDS = (
    "member_id",
    "speaker_name",
    "speaker_role",
    "speaker_constituency",
    "speaker_party",
    "member_ref",
)


def _speaker(speech: Speech) -> tuple[object, ...]:
    return tuple(getattr(speech, name) for name in _SPEAKER_FIELDS)


def _text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join("\n".join(paragraph) for paragraph in paragraphs if paragraph)


def _shift(debate: Debate, *, after: int, by: int) -> list[int]:
    """Move the speeches after position `after` by `by`; returns their ids."""
    later = Speech.objects.filter(debate=debate, position__gt=after)
    ids = list(later.values_list("id", flat=True))
    Speech.objects.filter(id__in=ids).update(position=F("position") + _OUT_OF_THE_WAY)
    Speech.objects.filter(id__in=ids).update(position=F("position") - _OUT_OF_THE_WAY + by)
    return ids


@transaction.atomic
def merge_with_next(speech: Speech) -> Speech:
    """Join `speech` and the one after it into one speech, at the first one's position.
    The speaker is the one the two share; speeches that name different speakers are not
    merged (correct the speaker first)."""
    speech = Speech.objects.select_for_update().get(pk=speech.pk)
    following = (
        Speech.objects.select_for_update()
        .filter(debate_id=speech.debate_id, position=speech.position + 1)
        .first()
    )
    if following is None:
        raise EditError(f"speech {speech.position} is the last of the debate: nothing to merge")
    if SpeechKind.SPEECH not in (speech.kind, following.kind) or speech.kind != following.kind:
        raise EditError("only two speeches can be merged, not a division or the record's words")
    if any(_speaker(speech)) and any(_speaker(following)):
        if _speaker(speech) != _speaker(following):
            raise EditError(
                f"speeches {speech.position} and {following.position} name different"
                " speakers; correct the speaker first"
            )
    elif any(_speaker(following)):
        for name in _SPEAKER_FIELDS:
            setattr(speech, name, getattr(following, name))
    speech.text = _text(speech.paragraphs + following.paragraphs)
    speech.boundary = SpeechBoundary.EDITED
    removed = following.pk
    Speech.objects.filter(pk=removed).delete()
    speech.save()
    moved = _shift(speech.debate, after=speech.position, by=-1)
    speeches_changed.send(sender=Speech, speech_ids=[speech.pk, removed, *moved])
    return Speech.objects.get(pk=speech.pk)  # afresh: the text's cached views are stale


@transaction.atomic
def split_at(speech: Speech, sentence: int) -> Speech:
    """Make sentence number `sentence` (from 1, as the debate page numbers them) and those
    after it a speech of their own, just after this one. The new speech names no speaker:
    the editor names one if the text does. Returns the new speech."""
    speech = Speech.objects.select_for_update().get(pk=speech.pk)
    count = len(speech.sentences)
    if not 2 <= sentence <= count:
        raise EditError(
            f"speech {speech.position} has {count} sentence{'s' if count != 1 else ''}:"
            f" a split goes before one of sentences 2 to {count}"
            if count > 1
            else f"speech {speech.position} has one sentence: it cannot be split"
        )
    before: list[list[str]] = []
    after: list[list[str]] = []
    for paragraph in speech.numbered_paragraphs:
        head = [text for number, text in paragraph if number < sentence]
        tail = [text for number, text in paragraph if number >= sentence]
        before.append(head)
        after.append(tail)
    moved = _shift(speech.debate, after=speech.position, by=1)
    speech.text = _text(before)
    speech.boundary = SpeechBoundary.EDITED
    speech.save()
    new = Speech.objects.create(
        debate_id=speech.debate_id,
        position=speech.position + 1,
        kind=speech.kind,
        boundary=SpeechBoundary.EDITED,
        section=speech.section,
        text=_text(after),
    )
    speeches_changed.send(sender=Speech, speech_ids=[speech.pk, new.pk, *moved])
    return new
