"""Atom feeds read from the database: a member's newest speeches and the newest debates.
(The feed of any search is `search.feeds`.) Each entry's id is a tag URI built from the
row's id, so it stays the same when a title, and with it the address, changes."""

import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import Debate, Member, Speech

FEED_ENTRIES = 50


def entry_id(request: HttpRequest, kind: str, pk: int) -> str:
    """A stable id (RFC 4151): tag:<host>,2024:speech/<id>."""
    return f"tag:{request.get_host().split(':')[0]},2024:{kind}/{pk}"


def published(date: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC)


class SpeechEntries(Feed):
    """Entries for speeches: each links to the speech in its debate."""

    feed_type = Atom1Feed

    request: HttpRequest

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The entries' ids name the site's host. Each request gets its own feed object (the
        # views below), so keeping the request on it is safe under threads.
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def item_title(self, speech: Speech) -> str:
        return f"{speech.display_speaker}: {speech.debate.title}, {speech.debate.citation}"

    def item_description(self, speech: Speech) -> str:
        words = speech.text.split()
        return " ".join(words[:80]) + (" …" if len(words) > 80 else "")

    def item_link(self, speech: Speech) -> str:
        return speech.get_debate_url()

    def item_guid(self, speech: Speech) -> str:
        return entry_id(self.request, "speech", speech.pk)

    item_guid_is_permalink = False

    def item_pubdate(self, speech: Speech) -> datetime.datetime:
        return published(speech.debate.date)

    def item_updateddate(self, speech: Speech) -> datetime.datetime:
        return speech.debate.created_at

    def item_author_name(self, speech: Speech) -> str:
        return speech.display_speaker


class MemberSpeechesFeed(SpeechEntries):
    def get_object(self, request, slug):
        return get_object_or_404(Member, slug=slug)

    def title(self, member: Member) -> str:
        return f"Speeches by {member.name} · Chamber"

    def subtitle(self, member: Member) -> str:
        return f"The newest speeches by {member.name} in the record."

    def link(self, member: Member) -> str:
        return member.get_absolute_url()

    def feed_guid(self, member: Member) -> str:
        return entry_id(self.request, "member", member.pk)

    def items(self, member: Member):
        speeches = Speech.objects.filter(member=member).with_context().newest_first()
        return speeches[:FEED_ENTRIES]


class DebatesFeed(Feed):
    feed_type = Atom1Feed
    title = "New debates · Chamber"
    subtitle = "The newest debates in the record."
    item_guid_is_permalink = False

    request: HttpRequest

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.request = request  # as in SpeechEntries
        return super().__call__(request, *args, **kwargs)

    def link(self) -> str:
        return reverse("debates:archive")

    def feed_guid(self) -> str:
        return entry_id(self.request, "debates", 0)

    def items(self):
        return Debate.objects.latest_first().with_speech_counts()[:FEED_ENTRIES]

    def item_title(self, debate: Debate) -> str:
        return f"{debate.title}, {debate.citation}"

    def item_description(self, debate) -> str:  # with its speech_count
        return f"{debate.get_kind_display()} in the {debate.get_house_display()}: " + (
            f"{debate.speech_count} speeches."
        )

    def item_guid(self, debate: Debate) -> str:
        return entry_id(self.request, "debate", debate.pk)

    def item_pubdate(self, debate: Debate) -> datetime.datetime:
        return published(debate.date)

    def item_updateddate(self, debate: Debate) -> datetime.datetime:
        return debate.created_at


def member_feed(request: HttpRequest, slug: str) -> HttpResponse:
    return MemberSpeechesFeed()(request, slug=slug)


def debates_feed(request: HttpRequest) -> HttpResponse:
    return DebatesFeed()(request)
