"""Where an unlabelled transcript changes speaker.

Plain transcripts name nobody, but parliamentary talk shows its turns: a question ending in
"?" and the answer after it ("My understanding is ...", "I thank the hon. Gentleman ..."),
an intervention ("Will the hon. Gentleman give way?" / "I give way."), the Chair ("Order.",
"I call ..."), a point of order, the opening of a reply ("My hon. Friend makes a good
point."), and the first and second person. Each place where a sentence starts is scored by a
small logistic model over such features of the sentence, the one before it and the one after
it (`features`); a turn starts where the score passes the model's threshold, at the new
speaker's first sentence. A few signs split without weighing (`rule_at`): the Chair calling
someone, an acknowledgement of the last speaker, an answer's opening after a question put to
a minister; each rule's precision is measured apart.

The weights are learned from real Hansard with the speakers stripped (`bench/train_turns.py`,
on the tuning days only; `bench/turns.py` scores them on days kept out) and ship in
`turns_model.json`. The threshold is set for precision: a wrong split is worse than a missed
one. Deterministic: the same sentences always give the same turns.
"""

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, overload

MODEL = Path(__file__).with_name("turns_model.json")

_HON = r"(?:right\s+)?hon\.\s+(?:and\s+(?:learned|gallant)\s+)?"
_PERSON = r"(?:Gentleman|Lady|Member|Friend|Baronet)"

# "The hon. Gentleman makes ...", "My right hon. Friend is right ...": the form of address
# followed at once by a verb, i.e. said to the person, not about someone named next.
_ADDRESS_THEN_VERB = re.compile(
    rf"^(?:The|My)\s+{_HON}{_PERSON},?\s+"
    r"(?:makes|made|raises|raised|will|would|is|was|has|had|knows|knew|asks|asked|mentions|"
    r"mentioned|refers|referred|speaks|spoke|rightly|should|may|might|must|can|could|does|did|"
    r"puts|put|highlights|highlighted|pays|paid|says|said|talks|talked|clearly|also|"
    r"understandably|quite|certainly|absolutely|tempts|tempted|presses|pressed)\b"
)
# "I thank the hon. Gentleman for ...", "I am grateful to my right hon. Friend ...".
_THANKS = re.compile(rf"^I\s+(?:thank|am\s+grateful\s+to)\s+(?:the|my)\s+{_HON}{_PERSON}\b")
# Said to someone present: "the hon. Lady", "my right hon. Friend", "the Minister", "you".
_ADDRESS = re.compile(rf"\b(?:the|my)\s+{_HON}{_PERSON}\b(?!\s+(?:the\s+)?(?:Member\s+)?for\b)")
_OFFICE = re.compile(r"\b(?:the\s+(?:Minister|Secretary\s+of\s+State|Prime\s+Minister))\b")
_ORDER = re.compile(r"^(?:Order[.!,]|I call\b|I now call\b)")
_GIVE_WAY = re.compile(r"\bgive way\b", re.IGNORECASE)
_REPLY = re.compile(
    rf"^(?:I\s+(?:thank|am\s+grateful|congratulate|welcome)\b|(?:The|My)\s+{_HON}{_PERSON}\b)"
)
_WORD = re.compile(r"[a-z0-9']+|[?]")
_CLOSING = "\"'”’)]"


def starts_new_turn(sentence: str) -> bool:
    """Does this sentence open by addressing or thanking the previous speaker ("The hon. Lady
    will know ...", "I thank my hon. Friend ...")? One feature among many: on its own, a
    quarter of such sentences in real debates do not start a turn."""
    return bool(_ADDRESS_THEN_VERB.match(sentence) or _THANKS.match(sentence))


# "My hon. Friend makes a good point.", "The hon. Lady is absolutely right,": a whole clause
# that grants the previous speaker a point. Said to someone who has just spoken, not about
# them ("My hon. Friend raises a point that is worth considering." is left to the model).
_ACKNOWLEDGES = re.compile(
    rf"^(?:The|My)\s+{_HON}{_PERSON}\s+(?:"
    r"(?:makes|has\s+made|raises|has\s+raised)\s+(?:a|an|some)\s+"
    r"(?:very\s+|extremely\s+|really\s+)?(?:good|fair|important|valid|strong|powerful|serious|"
    r"excellent|interesting|reasonable|sensible|pertinent|helpful)\s+(?:points?|argument|case)"
    r"|is\s+(?:absolutely\s+|quite\s+|entirely\s+|completely\s+|of\s+course\s+)?"
    r"(?:right|correct))\s*(?:[.,;:!\u2014-]|$)"
)
# An answer's first words: "My understanding is ...", "I can tell her ...", "Yes, ...".
_ANSWERS = re.compile(
    r"^(?:My\s+understanding\s+is|I\s+can\s+(?:tell|assure|confirm)|The\s+(?:short\s+)?answer\s+is"
    r"|Yes\b|No\b|I\s+agree\b|I\s+am\s+(?:happy|pleased|glad|delighted)\b|Absolutely\b|Indeed\b"
    r"|As\s+I\s+(?:have\s+)?said\b|I\s+assure\b|I\s+(?:do\s+not|don't)\s+accept\b)"
)
# A question put to a minister or to the member replying: "... or the Minister met ...?",
# "Will he ...?", "Does my right hon. Friend agree ...?".
_TO_OFFICE = re.compile(
    r"\b(?:Minister|Secretary\s+of\s+State|Leader\s+of\s+the\s+House|Solicitor-General|"
    r"Attorney-General|Chancellor|Foreign\s+Secretary|Home\s+Secretary)\b"
    r"|\b(?:[Ww]ill|[Cc]an|[Dd]oes|[Ww]ould|[Cc]ould|[Ss]hould|[Hh]as|[Hh]ave|[Ii]s|[Dd]id)\s+"
    rf"(?:he|she|either|(?:my|the)\s+{_HON}{_PERSON})\b"
)


class Rule(StrEnum):
    """A turn that needs no weighing: the text shows it plainly. Each rule's precision is
    measured on the tuning days (`bench/turns.py` prints it on the held-out days too)."""

    CALLED = "called"  # after the Chair's "I call Adam Afriyie."
    ACKNOWLEDGES = "acknowledges"  # "My hon. Friend makes a good point."
    ANSWERS = "answers"  # "My understanding is ..." after a question put to a minister


def rule_at(sentences: Sequence[str], index: int) -> Rule | None:
    """The rule by which a turn surely starts at sentences[index] (index >= 1), if any."""
    sentence, previous = sentences[index], sentences[index - 1]
    if any(called_by_the_chair(previous)):
        return Rule.CALLED
    if _ACKNOWLEDGES.match(sentence):
        return Rule.ACKNOWLEDGES
    if (
        is_question(previous)
        and not is_question(sentence)
        and _ANSWERS.match(sentence)
        and _TO_OFFICE.search(previous)
    ):
        return Rule.ANSWERS
    return None


# "I call the shadow Minister.", "I call Adam Afriyie.": the Chair names who speaks next.
_CALLED = re.compile(r"^I (?:now )?call (?P<who>the [^,.;:?!]+?|[A-Z][^,.;:?!]*?)(?:,.*)?[.!]$")
_NAME = re.compile(r"^(?:[A-Z][\w'’-]*\s+)+[A-Z][\w'’-]*$")


def called_by_the_chair(sentence: str) -> tuple[str, str]:
    """(name, role) of the member the Chair calls in this sentence, as the text names them:
    ("Adam Afriyie", "") or ("", "The shadow Minister"); ("", "") if it calls no one."""
    match = _CALLED.match(sentence)
    if not match:
        return "", ""
    who = match["who"].strip()
    if who.startswith("the "):
        return "", f"The {who[4:]}"
    return (who, "") if _NAME.match(who) else ("", "")


class Cue(StrEnum):
    """What the text shows where a turn starts: how a split is accounted for."""

    CHAIR = "chair"  # "Order.", "I call ..."
    POINT_OF_ORDER = "point-of-order"  # "On a point of order, ..."
    GIVE_WAY = "give-way"  # "Will the hon. Gentleman give way?" / "I give way."
    QUESTION = "question-answer"  # the sentence before ends with "?"
    REPLY = "reply"  # opens by addressing or thanking the previous speaker
    OTHER = "other"


def cue_of(previous: str, sentence: str) -> Cue:
    """The cue in the text for a turn that starts at `sentence` after `previous`."""
    if _ORDER.match(sentence):
        return Cue.CHAIR
    if "point of order" in sentence.casefold():
        return Cue.POINT_OF_ORDER
    if _GIVE_WAY.search(previous) or _GIVE_WAY.search(sentence):
        return Cue.GIVE_WAY
    if is_question(previous):
        return Cue.QUESTION
    if _REPLY.match(sentence):
        return Cue.REPLY
    return Cue.OTHER


def is_question(sentence: str) -> bool:
    """Does the sentence end with "?" (before any closing quote or bracket)?"""
    return sentence.rstrip(_CLOSING).endswith("?")


def _words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.casefold().replace("’", "'"))


def _length(words: Sequence[str]) -> str:
    n = len(words)
    return next(f"{bound}" for bound in (1, 3, 6, 12, 25, 50, 10**9) if n <= bound)


def _addresses(sentence: str) -> bool:
    """Does the sentence open by speaking to someone present ("My hon. Friend will know")?"""
    return starts_new_turn(sentence) or bool(_ADDRESS.search(" ".join(sentence.split()[:8])))


def features(sentences: Sequence[str], index: int) -> list[str]:
    """What the model reads where sentences[index] starts: it and the sentences around it.
    Not the turns found before it, so one doubtful split does not sway the next."""
    sentence, previous = sentences[index], sentences[index - 1]
    following = sentences[index + 1] if index + 1 < len(sentences) else ""
    words, before, after = _words(sentence), _words(previous), _words(following)
    asked = is_question(previous)
    first = words[:1] or [""]
    opening = " ".join(words[:2])
    # A reply often opens with a sentence or two before it turns to the questioner ("We are
    # evaluating it. My hon. Friend will know ..."): an address just ahead points back here,
    # and an address just after a question points back there, not here.
    ahead = next(
        (
            str(k)
            for k in range(3)
            if index + k < len(sentences) and _addresses(sentences[index + k])
        ),
        "-",
    )
    behind = next(
        (str(k) for k in range(1, 4) if index - k >= 0 and is_question(sentences[index - k])),
        "-",
    )
    found = [
        "bias",
        f"w1:{first[0]}",
        f"w2:{opening}",
        f"w3:{' '.join(words[:3])}",
        f"end:{previous.rstrip(_CLOSING)[-1:]}",
        f"last:{before[-1] if before else ''}",
        f"p1:{before[0] if before else ''}",
        f"len:{_length(words)}",
        f"plen:{_length(before)}",
        f"asked&w1:{asked}:{first[0]}",
        f"asked&w2:{asked}:{opening}",
        f"n1:{after[0] if after else ''}",
        f"ahead&behind:{ahead}:{behind}",
        f"asked&ahead:{asked}:{ahead}",
    ]
    if starts_new_turn(sentence):
        found.append("reply-opening")
        found.append(f"reply&behind:{behind}")
    if _ADDRESS.search(" ".join(sentence.split()[:8])):
        found.append("address-early")
    elif _ADDRESS.search(sentence):
        found.append("address")
    if _OFFICE.search(previous) and asked:
        found.append("asked-office")
    if _ADDRESS.search(previous) and asked:
        found.append("asked-address")
    if _ORDER.match(sentence):
        found.append("chair")
    if _ORDER.match(following):
        found.append("next-chair")
    if "point of order" in sentence.casefold():
        found.append("point-of-order")
    if _GIVE_WAY.search(previous):
        found.append(f"prev-give-way:{asked}")
    if _GIVE_WAY.search(sentence):
        found.append(f"give-way:{is_question(sentence)}")
    if is_question(sentence):
        found.append(f"asks:{_length(words)}")
    if is_question(following):
        found.append("next-asks")
    # A short run of sentences ending in a question is a questioner's turn.
    ends = next(
        (
            str(k)
            for k in range(4)
            if index + k < len(sentences) and is_question(sentences[index + k])
        ),
        "-",
    )
    found.append(f"asked&asks-within:{asked}:{ends}")
    if "you" in words or "your" in words:
        found.append("you")
    return found


# -- the model ------------------------------------------------------------------------------


def score(weights: Mapping[str, float], found: Iterable[str]) -> float:
    """The probability of a turn starting here, under `weights`."""
    total = sum(weights.get(feature, 0.0) for feature in found)
    return 1.0 / (1.0 + math.exp(-max(min(total, 30.0), -30.0)))


@cache
def _model() -> tuple[dict[str, float], float]:
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    return dict(data["weights"]), float(data["threshold"])


def turn_starts(
    sentences: Sequence[str],
    weights: Mapping[str, float] | None = None,
    threshold: float | None = None,
) -> list[int]:
    """The indexes of the sentences that start a turn (0 always does), in order."""
    if weights is None or threshold is None:
        model_weights, model_threshold = _model()
        weights = model_weights if weights is None else weights
        threshold = model_threshold if threshold is None else threshold
    # Where the text shows a turn plainly (`rule_at`), it needs no weighing.
    return [0] * bool(sentences) + [
        index
        for index in range(1, len(sentences))
        if rule_at(sentences, index) is not None
        or score(weights, features(sentences, index)) >= threshold
    ]


_Item = TypeVar("_Item")


# Without `sentence_of` the items are the sentences themselves.
@overload
def split_into_turns(items: Iterable[str]) -> list[list[str]]: ...
@overload
def split_into_turns(
    items: Iterable[_Item], sentence_of: Callable[[_Item], str]
) -> list[list[_Item]]: ...
def split_into_turns(
    items: Iterable[Any], sentence_of: Callable[[Any], str] = lambda item: item
) -> list[list[Any]]:
    """Group items (sentences, or records carrying one) into turns of speaking, in order."""
    items = list(items)
    starts = turn_starts([sentence_of(item) for item in items])
    ends = [*starts[1:], len(items)]
    return [items[start:end] for start, end in zip(starts, ends, strict=True)]
