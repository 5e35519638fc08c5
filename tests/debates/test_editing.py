"""Merging and splitting speeches (debates.ingest.editing) and the debate admin's Turns page:
positions stay 1..n, speakers stay honest, and the real Whoosh index follows at commit."""

import datetime

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from haystack.query import SearchQuerySet

from debates.choices import SpeechBoundary
from debates.ingest import editing
from debates.ingest.importers.transcript import DebateMetadata
from debates.ingest.loading import load_file
from debates.models import Speech
from debates.signals import speeches_changed
from search import indexing
from tests.factories import make_debate, make_member, make_speech
from tests.search.test_search import IndexTestCase, indexed_ids


def texts(debate) -> list[str]:
    return list(debate.speeches.order_by("position").values_list("text", flat=True))


def positions(debate) -> list[int]:
    return list(debate.speeches.order_by("position").values_list("position", flat=True))


class EditingTests(TestCase):
    def setUp(self):
        self.debate = make_debate()
        for text in ["Alpha one.\nAlpha two.", "Beta one.\n\nBeta two.", "Gamma.", "Delta."]:
            make_speech(debate=self.debate, text=text, boundary=SpeechBoundary.INFERRED)
        self.sent: list[list[int]] = []
        speeches_changed.connect(self.record, dispatch_uid="test-editing")
        self.addCleanup(speeches_changed.disconnect, dispatch_uid="test-editing")

    def record(self, sender, speech_ids, **kwargs):
        self.sent.append(sorted(speech_ids))

    def speech(self, position):
        return self.debate.speeches.get(position=position)

    def test_merge_joins_a_speech_and_the_next_and_closes_the_gap(self):
        ids = [s.id for s in self.debate.speeches.order_by("position")]
        merged = editing.merge_with_next(self.speech(2))
        self.assertEqual(positions(self.debate), [1, 2, 3])
        self.assertEqual(
            texts(self.debate),
            ["Alpha one.\nAlpha two.", "Beta one.\n\nBeta two.\n\nGamma.", "Delta."],
        )
        self.assertEqual(merged.boundary, SpeechBoundary.EDITED)
        self.assertEqual(merged.sentences, ["Beta one.", "Beta two.", "Gamma."])
        self.assertFalse(Speech.objects.filter(id=ids[2]).exists())
        # the merged speech, the one removed and the one moved up
        self.assertEqual(self.sent, [sorted([ids[1], ids[2], ids[3]])])

    def test_split_makes_a_new_speech_after_and_shifts_the_rest(self):
        ids = [s.id for s in self.debate.speeches.order_by("position")]
        new = editing.split_at(self.speech(1), 2)
        self.assertEqual(positions(self.debate), [1, 2, 3, 4, 5])
        self.assertEqual(
            texts(self.debate),
            ["Alpha one.", "Alpha two.", "Beta one.\n\nBeta two.", "Gamma.", "Delta."],
        )
        self.assertEqual((new.position, new.speaker_name, new.member), (2, "", None))
        self.assertEqual(new.display_speaker, "speaker not recorded")
        self.assertEqual(self.speech(1).boundary, SpeechBoundary.EDITED)
        self.assertEqual(self.sent, [sorted([ids[0], new.id, *ids[1:]])])

    def test_split_keeps_the_paragraphs_on_either_side(self):
        editing.split_at(self.speech(2), 2)
        self.assertEqual(texts(self.debate)[1:3], ["Beta one.", "Beta two."])
        speech = make_speech(debate=self.debate, text="A.\nB.\n\nC.\nD.")
        editing.split_at(speech, 2)
        self.assertEqual(texts(self.debate)[-2:], ["A.", "B.\n\nC.\nD."])

    def test_a_split_then_a_merge_gives_the_text_back(self):
        before = texts(self.debate)
        editing.split_at(self.speech(2), 2)
        editing.merge_with_next(self.speech(2))
        self.assertEqual(texts(self.debate), before)

    def test_impossible_edits_are_refused_and_change_nothing(self):
        before = texts(self.debate)
        for edit, message in [
            (lambda: editing.merge_with_next(self.speech(4)), "last of the debate"),
            (lambda: editing.split_at(self.speech(3), 2), "has one sentence"),
            (lambda: editing.split_at(self.speech(1), 1), "sentences 2 to 2"),
            (lambda: editing.split_at(self.speech(1), 3), "sentences 2 to 2"),
        ]:
            with (
                self.subTest(message=message),
                self.assertRaisesMessage(editing.EditError, message),
            ):
                edit()
        self.assertEqual(texts(self.debate), before)
        self.assertEqual(self.sent, [])

    def test_speeches_of_different_speakers_are_not_merged(self):
        debate = make_debate()
        make_speech(debate=debate, member=make_member(name="Ann Example"))
        make_speech(debate=debate, speaker_name="Bob Other")
        with self.assertRaisesMessage(editing.EditError, "different speakers"):
            editing.merge_with_next(debate.speeches.get(position=1))
        self.assertEqual(debate.speeches.count(), 2)

    def test_a_merge_keeps_the_one_speaker_either_names(self):
        debate = make_debate()
        make_speech(debate=debate)
        make_speech(debate=debate, speaker_name="Bob Other")
        merged = editing.merge_with_next(debate.speeches.get(position=1))
        self.assertEqual(merged.speaker_name, "Bob Other")

    def test_a_failed_edit_inside_a_transaction_rolls_back_whole(self):
        with self.assertRaises(RuntimeError), transaction.atomic():
            editing.split_at(self.speech(1), 2)
            raise RuntimeError
        self.assertEqual(positions(self.debate), [1, 2, 3, 4])


class EditsReachTheIndexTests(IndexTestCase):
    def test_the_index_follows_a_split_and_a_merge(self):
        debate = make_debate()
        make_speech(debate=debate, text="Aardvarks dig.\nBadgers sleep.")
        make_speech(debate=debate, text="Capybaras swim.")
        self.index_everything()
        with self.captureOnCommitCallbacks(execute=True):
            new = editing.split_at(debate.speeches.get(position=1), 2)
        self.assertEqual(indexed_ids(), set(debate.speeches.values_list("id", flat=True)))
        found = SearchQuerySet().auto_query("badgers")
        self.assertEqual([int(result.pk) for result in found], [new.id])
        self.assertEqual(SearchQuerySet().auto_query("aardvarks badgers").count(), 0)

        with self.captureOnCommitCallbacks(execute=True):
            merged = editing.merge_with_next(debate.speeches.get(position=2))
        self.assertEqual(indexed_ids(), set(debate.speeches.values_list("id", flat=True)))
        self.assertNotIn(new.id + 1, indexed_ids())  # the capybaras' own speech is gone
        found = SearchQuerySet().auto_query("badgers capybaras")
        self.assertEqual([int(result.pk) for result in found], [merged.id])

    def test_a_rolled_back_edit_leaves_the_index_as_it_was(self):
        debate = make_debate()
        make_speech(debate=debate, text="Aardvarks dig.\nBadgers sleep.")
        self.index_everything()
        before = indexed_ids()
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            editing.split_at(debate.speeches.get(position=1), 2)
            transaction.set_rollback(True)
        indexing.drain()  # a later drain must not undo what the rollback restored
        self.assertEqual(indexed_ids(), before)
        self.assertEqual(SearchQuerySet().auto_query("aardvarks badgers").count(), 1)


class TurnsAdminPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
        cls.clerk = User.objects.create_user("clerk", "clerk@example.org", "pw", is_staff=True)

    def setUp(self):
        self.client.force_login(self.admin)
        metadata = DebateMetadata(title="Turns", date=datetime.date(2024, 1, 5))
        raw = (
            b"Will the Minister meet the families?\n"
            b"I thank the hon. Lady for her question.\n"
            b"I will meet them next week.\n"
        )
        self.debate = load_file(raw, name="turns.txt", metadata=metadata).debates[0]
        self.url = reverse("admin:debates_debate_turns", args=[self.debate.pk])

    def test_the_debate_admin_page_links_to_its_turns(self):
        page = self.client.get(reverse("admin:debates_debate_change", args=[self.debate.pk]))
        self.assertContains(page, f'href="{self.url}"')

    def test_the_page_lists_speeches_with_a_form_for_each_edit(self):
        page = self.client.get(self.url)
        self.assertContains(page, "Speech 1: Speaker not recorded")
        self.assertContains(page, "(inferred from the text)")
        self.assertContains(page, 'for="split-2"')
        self.assertContains(page, '<option value="2">2: I will meet them next week.</option>')
        self.assertContains(page, "Merge speeches 1 and 2")

    def test_the_page_reads_in_the_same_queries_whatever_its_speeches(self):
        def queries_for(speeches: int) -> int:
            debate = make_debate()
            for _ in range(speeches):
                make_speech(debate=debate, member=make_member())
            url = reverse("admin:debates_debate_turns", args=[debate.pk])
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(url).status_code, 200)
            return len(captured)

        self.assertEqual(queries_for(2), queries_for(8))

    def test_split_then_merge_through_the_page(self):
        response = self.client.post(self.url, {"action": "split", "speech": 2, "sentence": 2})
        self.assertRedirects(response, f"{self.url}#s3", fetch_redirect_response=False)
        self.assertEqual(
            texts(self.debate),
            [
                "Will the Minister meet the families?",
                "I thank the hon. Lady for her question.",
                "I will meet them next week.",
            ],
        )
        page = self.client.get(self.url)
        self.assertContains(page, "Speech 2 split: speech 3 is new.")
        response = self.client.post(self.url, {"action": "merge", "speech": 2})
        self.assertRedirects(response, f"{self.url}#s2", fetch_redirect_response=False)
        self.assertEqual(self.debate.speeches.count(), 2)
        shown = self.client.get(self.debate.get_absolute_url())
        self.assertContains(shown, "Turn set by an editor.")
        self.assertContains(shown, "Turn inferred from the text")

    def test_bad_input_is_a_400_with_a_message(self):
        for data, message in [
            ({"action": "split", "speech": 2}, "Choose the sentence the new speech starts at."),
            ({"action": "split", "speech": 2, "sentence": 9}, "sentences 2 to 2"),
            ({"action": "merge", "speech": 2}, "last of the debate"),
            ({"action": "merge", "speech": 7}, "This debate has no speech 7."),
            ({"action": "explode", "speech": 1}, "Select a valid choice."),
            ({"action": "merge", "speech": "x"}, "Enter a whole number."),
        ]:
            with self.subTest(data=data):
                response = self.client.post(self.url, data)
                self.assertContains(response, message, status_code=400)
        self.assertEqual(self.debate.speeches.count(), 2)

    def test_an_unknown_debate_is_a_404(self):
        url = reverse("admin:debates_debate_turns", args=[999999])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get("/admin/debates/debate/abc/turns/").status_code, 404)

    def test_staff_without_permission_to_edit_speeches_are_refused(self):
        self.client.force_login(self.clerk)
        response = self.client.post(self.url, {"action": "merge", "speech": 1})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.debate.speeches.count(), 2)


class DebatePageSaysWhereTurnsComeFromTests(TestCase):
    def test_only_inferred_or_edited_turns_carry_a_note(self):
        debate = make_debate()
        make_speech(debate=debate, speaker_name="Ann Example")
        make_speech(debate=debate, boundary=SpeechBoundary.INFERRED)
        make_speech(debate=debate, boundary=SpeechBoundary.EDITED)
        page = self.client.get(debate.get_absolute_url())
        self.assertContains(page, '<p class="speech__boundary">', count=2)
        self.assertContains(page, "Turn inferred from the text", count=1)
        self.assertContains(page, "Turn set by an editor.", count=1)
