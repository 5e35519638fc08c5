import datetime

from django.test import TestCase

from debates import speakers
from debates.importers.transcript import ParsedDebate, ParsedSpeech, ParsedTranscript
from debates.models import MemberIdentifier
from tests.factories import make_member


class ResolveByIdTests(TestCase):
    def test_speakers_resolve_to_members_by_the_id_the_source_gives(self):
        member = make_member(name="Andrew Mitchell")
        MemberIdentifier.objects.create(
            member=member, scheme="parlparse-person", value="uk.org.publicwhip/person/10427"
        )
        parsed = ParsedTranscript(
            format="test",
            debates=(
                ParsedDebate(
                    title="Resolved",
                    date=datetime.date(2024, 3, 26),
                    house="commons",
                    kind="statement",
                    speeches=(
                        ParsedSpeech(
                            paragraphs=(("Known.",),),
                            speaker_name="Mr Andrew Mitchell",
                            member_ref="parlparse-person:uk.org.publicwhip/person/10427",
                        ),
                        ParsedSpeech(
                            paragraphs=(("Unknown.",),),
                            speaker_name="Someone Else",
                            member_ref="parlparse-person:uk.org.publicwhip/person/99999",
                        ),
                        ParsedSpeech(
                            paragraphs=(("Same value, other scheme.",),),
                            member_ref="mnis:uk.org.publicwhip/person/10427",
                        ),
                    ),
                ),
            ),
        )
        self.assertEqual(speakers.resolve(parsed.debates), [[member.id, None, None]])
