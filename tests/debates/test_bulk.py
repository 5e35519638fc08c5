"""`bulk.insert` writes the same rows on every database: a COPY on PostgreSQL (the suite run
with DATABASE_URL=postgres://... tests it), `bulk_create` on SQLite."""

from django.db import IntegrityError, transaction
from django.test import TestCase

from debates.ingest import bulk
from debates.models import Speech
from tests.factories import make_debate, make_member


def speech_row(**values):
    row = {
        "debate_id": None,
        "position": 1,
        "member_id": None,
        "speaker_name": "",
        "speaker_role": "",
        "speaker_constituency": "",
        "speaker_party": "",
        "member_ref": "",
        "kind": "speech",
        "boundary": "recorded",
        "heading": "",
        "section": "",
        "source_reference": "",
        "text": "",
    }
    return {**row, **values}


class InsertTests(TestCase):
    def setUp(self):
        self.debate = make_debate()
        self.member = make_member(name="Diane Abbott")

    def test_the_rows_land_as_given(self):
        rows = [
            speech_row(
                debate_id=self.debate.id,
                position=1,
                member_id=self.member.id,
                speaker_name="Ms Diane Abbott",
                speaker_role="Chair of the Committee",
                speaker_constituency="Hackney North & Stoke Newington",
                speaker_party="Lab",
                member_ref="parlparse-person:uk.org.publicwhip/person/10001",
                heading="Café \u201cSociety\u201d",
                section="Café \u201cSociety\u201d",
                source_reference="uk.org.publicwhip/debate/2024-03-26a.1.2",
                # What COPY's text format escapes: tabs, backslashes, line breaks.
                text="A first sentence\twith a tab.\nA back\\slash.\n\nA second paragraph\r.",
            ),
            speech_row(debate_id=self.debate.id, position=2, kind="narrative", text="Order."),
        ]
        bulk.insert(Speech, rows)
        stored = list(Speech.objects.order_by("position").values(*rows[0]))
        self.assertEqual(stored, rows)

    def test_a_row_without_every_field_is_refused_and_nothing_is_written(self):
        row = speech_row(debate_id=self.debate.id)
        del row["section"]
        with (
            self.assertRaisesMessage(ValueError, "lacks ['section'] and has unknown []"),
            transaction.atomic(),  # a COPY that failed half way aborts its transaction
        ):
            bulk.insert(Speech, [speech_row(debate_id=self.debate.id, position=2), row])
        unknown = {**speech_row(debate_id=self.debate.id), "speaker": "Diane Abbott"}
        with (
            self.assertRaisesMessage(ValueError, "lacks [] and has unknown ['speaker']"),
            transaction.atomic(),
        ):
            bulk.insert(Speech, [unknown])
        self.assertFalse(Speech.objects.exists())

    def test_a_broken_constraint_is_an_integrity_error_that_writes_nothing(self):
        rows = [speech_row(debate_id=self.debate.id, position=n) for n in (1, 2, 2)]
        with self.assertRaises(IntegrityError), transaction.atomic():
            bulk.insert(Speech, rows)
        self.assertFalse(Speech.objects.exists())
