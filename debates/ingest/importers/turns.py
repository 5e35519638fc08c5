"""Where an unlabelled transcript changes speaker.

Plain transcripts name nobody, but a reply shows itself by how it opens: it addresses the
previous speaker ("The hon. Lady will know ...", "My hon. Friend makes a good point.",
"I thank the hon. Gentleman for ..."). A wrong split is worse than a missed one, so only
these openings count; a mention of a third member ("my hon. Friend the Member for
Bradford East", "My right hon. Friends the Prime Minister and ...") does not.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

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


def starts_new_turn(sentence: str) -> bool:
    """Does this sentence, by the way it opens, begin a reply by another speaker?"""
    return bool(_ADDRESS_THEN_VERB.match(sentence) or _THANKS.match(sentence))


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
    turns: list[list[Any]] = []
    for item in items:
        if not turns or starts_new_turn(sentence_of(item)):
            turns.append([item])
        else:
            turns[-1].append(item)
    return turns
