"""Small builders for test data: make_debate(**kw), make_member(**kw), make_speech(**kw)."""

import datetime
import itertools

from django.utils.text import slugify

from debates.choices import DebateKind, House
from debates.models import Debate, Member, Speech

_numbers = itertools.count(1)


def make_member(**kw) -> Member:
    name = kw.pop("name", f"Member {next(_numbers)}")
    surname = name.split()[-1]
    slug = slugify(name)
    if Member.objects.filter(slug=slug).exists():  # two members of one name
        slug = f"{slug}-{next(_numbers)}"
    fields = {"sort_name": f"{surname}, {name}", "slug": slug, "house": House.COMMONS}
    return Member.objects.create(name=name, **{**fields, **kw})


def make_debate(*, speeches: int = 0, **kw) -> Debate:
    title = kw.pop("title", f"Debate {next(_numbers)}")
    fields = {
        "date": datetime.date(2024, 3, 26),
        "house": House.COMMONS,
        "kind": DebateKind.DEBATE,
        "slug": slugify(title),
    }
    debate = Debate.objects.create(title=title, **{**fields, **kw})
    for _ in range(speeches):
        make_speech(debate=debate)
    return debate


def make_speech(*, debate: Debate, **kw) -> Speech:
    position = kw.pop("position", None) or debate.speeches.count() + 1
    text = kw.pop("text", f"Sentence one of speech {position}.\nSentence two.")
    return Speech.objects.create(debate=debate, position=position, text=text, **kw)
