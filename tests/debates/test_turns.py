"""Where plain text changes speaker (debates.ingest.importers.turns) and how it is scored
(turns_evaluation): a small day with known answers, cases of each kind, the seeds' turns, and
the figures on the real held-out days, so that none of them can drop silently."""

import dataclasses
import datetime
import json
import sys
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from debates.choices import SpeechBoundary
from debates.ingest.importers import plaintext, turns, turns_evaluation
from debates.ingest.importers.transcript import DebateMetadata, ParsedSpeech
from debates.ingest.importers.turns_evaluation import NONE, GoldKind

ROOT = Path(settings.BASE_DIR)
SEEDS = ROOT / "fixtures" / "seeds"
sys.path.insert(0, str(ROOT / "bench"))
from turns import (  # type: ignore[import-not-found]  # noqa: E402  # bench/turns.py
    HELD_OUT_DAYS,
    TUNING_DAYS,
    debates_of,
)

METADATA = DebateMetadata(title="Turns", date=datetime.date(2024, 1, 1))


def speech(person: int, *sentences: str, name: str = "A Member") -> str:
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    return (
        f'<speech id="uk.org.publicwhip/debate/2024-01-01a.{person}.{len(sentences)}"'
        f' speakername="{name}"'
        f' person_id="uk.org.publicwhip/person/{person}">{paragraphs}</speech>'
    )


# A small day whose answers are known: four changes of speaker, of four kinds.
SMALL_DAY = (
    '<?xml version="1.0" encoding="utf-8"?><publicwhip>'
    '<major-heading id="uk.org.publicwhip/debate/h1">Fishing</major-heading>'
    + speech(1, "The fleet has shrunk by half.", "Will the Minister meet the fishermen?")
    + speech(2, "I thank the hon. Gentleman for his question.", "I will meet them next week.")
    + speech(1, "The quota system is broken.", "It has failed the coast.")
    + speech(3, "Order.", "The hon. Gentleman is straying from the question.", name="Mr Speaker")
    + speech(1, "I am grateful, Mr Speaker.")
    + "</publicwhip>"
).encode()


def starts(text: str) -> list[int | None]:
    """Lines where the plain-text importer starts its speeches."""
    parsed = plaintext.parse(text.encode(), metadata=METADATA)
    return [speech.line for speech in parsed.debates[0].speeches]


class EvaluationTests(SimpleTestCase):
    def test_stripping_writes_the_seeds_format_and_knows_the_real_turns(self):
        [debate] = turns_evaluation.stripped_day(SMALL_DAY)
        lines = debate.text.splitlines()
        self.assertIn("I thank the hon.", lines)
        self.assertIn("Gentleman for his question.", lines)
        self.assertNotIn("A Member", debate.text)
        self.assertEqual(
            debate.gold,
            {3: GoldKind.QUESTION, 6: GoldKind.OTHER, 8: GoldKind.CHAIR, 11: GoldKind.OTHER},
        )
        self.assertEqual(lines[2], "I thank the hon.")
        self.assertEqual(lines[7], "Order.")

    def test_a_split_is_counted_right_wrong_or_missed_by_kind(self):
        [debate] = turns_evaluation.stripped_day(SMALL_DAY)
        # The real importer on the day: its splits are scored against the known turns.
        score = turns_evaluation.score([debate])
        found = set(starts(debate.text)) - {1}
        self.assertEqual(score.true_positives, len(found & set(debate.gold)))
        self.assertEqual(score.false_positives, len(found - set(debate.gold)))
        self.assertEqual(score.false_negatives, len(set(debate.gold) - found))
        self.assertEqual(score.candidates, 8)  # nine sentences
        # "I thank the hon. Gentleman ..." after a question, and "Order.": both found.
        self.assertEqual(score.confusion[(GoldKind.QUESTION, turns.Cue.QUESTION)], 1)
        self.assertEqual(score.confusion[(GoldKind.CHAIR, turns.Cue.CHAIR)], 1)
        self.assertEqual(score.recall_of(GoldKind.CHAIR), (1, 1))

    def test_precision_and_recall_read_from_the_counts(self):
        score = turns_evaluation.Score(true_positives=3, false_positives=1, false_negatives=6)
        self.assertEqual((score.precision, score.recall), (0.75, 1 / 3))
        self.assertEqual(
            (turns_evaluation.Score().precision, turns_evaluation.Score().recall), (1, 1)
        )

    def test_a_wrong_split_is_counted_as_such(self):
        debate = turns_evaluation.StrippedDebate(
            title="t",
            turns=(),
            text="Will the Minister meet them?\nI thank the hon. Lady for that.\n",
            gold={},
            sentence_lines=(1, 2),
        )
        score = turns_evaluation.score([debate])
        self.assertEqual((score.true_positives, score.false_positives), (0, 1))
        self.assertEqual(score.confusion[(NONE, turns.Cue.QUESTION)], 1)
        self.assertEqual(score.precision_of(turns.Cue.QUESTION), (0, 1))

    def test_a_split_one_sentence_late_is_counted(self):
        # The real change is at "My understanding ..." (line 2); the old importer split at
        # line 3, leaving the answer's first sentence with the question.
        debate = turns_evaluation.StrippedDebate(
            title="t",
            turns=(),
            text="Have they met the families?\nMy understanding is that they have.\n"
            "The hon. Gentleman makes a plea for peace.\n",
            gold={2: GoldKind.QUESTION},
            sentence_lines=(1, 2, 3),
        )

        def split_at_line_3(raw, metadata):
            parsed = plaintext.parse(b"x\n", metadata=metadata)
            first, second = (
                ParsedSpeech(paragraphs=(("Have they met the families?",),), line=1),
                ParsedSpeech(paragraphs=(("The hon. Gentleman makes a plea.",),), line=3),
            )
            debate = dataclasses.replace(parsed.debates[0], speeches=(first, second))
            return dataclasses.replace(parsed, debates=(debate,))

        score = turns_evaluation.score([debate], split_at_line_3)
        self.assertEqual((score.late, score.false_positives, score.false_negatives), (1, 1, 1))
        self.assertEqual(turns_evaluation.score([debate]).late, 0)


class HeldOutFiguresTests(SimpleTestCase):
    """The real days, as bench/turns.py prints them: these floors hold the detector."""

    def test_the_held_out_days_keep_their_precision_and_recall(self):
        score = turns_evaluation.score(debates_of(HELD_OUT_DAYS))
        self.assertGreaterEqual(score.precision, 0.9)
        self.assertGreaterEqual(score.recall, 0.30)
        self.assertEqual(score.true_positives + score.false_negatives, 897)

    def test_each_plain_rule_keeps_its_precision_on_the_held_out_days(self):
        counts = turns_evaluation.rule_counts(debates_of(HELD_OUT_DAYS))
        self.assertEqual(set(counts), set(turns.Rule))
        for rule, (right, fired) in counts.items():
            with self.subTest(rule=rule):
                self.assertGreater(fired, 5)
                self.assertGreaterEqual(right / fired, 0.9)

    def test_the_curve_at_the_models_threshold_is_what_the_importer_splits(self):
        debates = debates_of(HELD_OUT_DAYS[:1])
        score = turns_evaluation.score(debates)
        threshold = json.loads(turns.MODEL.read_text(encoding="utf-8"))["threshold"]
        rows = turns_evaluation.curve(debates, (0.5, threshold, 0.95))
        self.assertEqual(
            rows[1],
            (
                threshold,
                score.true_positives,
                score.true_positives + score.false_positives,
                score.true_positives + score.false_negatives,
            ),
        )
        # a higher threshold splits less
        self.assertGreater(rows[0][2], rows[1][2])
        self.assertGreater(rows[1][2], rows[2][2])

    def test_the_model_was_trained_on_the_tuning_days_only(self):
        about = json.loads(turns.MODEL.read_text(encoding="utf-8"))["about"]
        for day in TUNING_DAYS:
            self.assertIn(day.name, about)
        for day in HELD_OUT_DAYS:
            self.assertNotIn(day.name, about)


class KindsTests(SimpleTestCase):
    def test_each_kind_of_turn_starts_where_the_new_speaker_does(self):
        cases = {
            "question then answer": (
                [
                    "The families in my constituency have waited far too long for this.",
                    "Will the Minister meet them to discuss their case?",
                    "I thank the hon. Lady for her question.",
                    "I would be happy to meet the families.",
                ],
                [0, 2],
            ),
            "the Chair": (
                [
                    "I will not take any more lessons from the party opposite on this matter.",
                    "It is a disgrace and the Minister should be ashamed of it.",
                    "Order.",
                    "The hon. Gentleman must withdraw that remark.",
                ],
                [0, 2],
            ),
            "give way": (
                [
                    "The Bill does nothing for the people who need help most.",
                    "It is a missed opportunity.",
                    "Will the hon. Gentleman give way?",
                    "I give way.",
                    "Is he aware that the Bill was welcomed by every charity in the sector?",
                ],
                [0, 2, 3],
            ),
            "a point of order": (
                [
                    "I commend the Bill to the House.",
                    "On a point of order, Mr Speaker.",
                    "The Minister has just misled the House about the figures.",
                ],
                [0, 1],
            ),
            "a statement then questions": (
                [
                    "We will continue to press for a lasting peace.",
                    "Mr Speaker, I commend this statement to the House.",
                    "I thank the Minister for advance sight of his statement.",
                    "We on this side of the House welcome the resolution.",
                ],
                [0, 2],
            ),
        }
        for kind, (sentences, expected) in cases.items():
            with self.subTest(kind=kind):
                self.assertEqual(turns.turn_starts(sentences), expected)

    def test_a_mention_of_a_member_or_the_chair_does_not_start_a_turn(self):
        sentences = [
            "We welcome the resolution.",
            "My right hon. Friends the Prime Minister and the Foreign Secretary, Lord Ahmad and I"
            " have met the families of hostages.",
            "The hon. Member for Oxford West and Abingdon has campaigned on this.",
            "Hamas must act on this now.",
            "Mr Speaker, I commend this statement to the House.",
        ]
        self.assertEqual(turns.turn_starts(sentences), [0])

    def test_the_cue_names_what_the_text_shows(self):
        self.assertEqual(turns.cue_of("It is late.", "Order."), turns.Cue.CHAIR)
        self.assertEqual(turns.cue_of("Yes.", "On a point of order, Sir."), "point-of-order")
        self.assertEqual(turns.cue_of("Will he give way?", "I give way."), "give-way")
        self.assertEqual(turns.cue_of("Will she act?", "Yes."), "question-answer")
        self.assertEqual(turns.cue_of("It is.", "My hon. Friend is right."), "reply")
        self.assertEqual(turns.cue_of("It is.", "It is not."), "other")

    def test_the_chair_calling_someone_ends_the_chairs_turn_and_names_the_next(self):
        self.assertEqual(turns.called_by_the_chair("I call Adam Afriyie."), ("Adam Afriyie", ""))
        self.assertEqual(
            turns.called_by_the_chair("I call the shadow Minister, who wishes to come in early."),
            ("", "The shadow Minister"),
        )
        for sentence in ["I call on the Government to act.", "I call this a scandal.", "Order."]:
            with self.subTest(sentence=sentence):
                self.assertEqual(turns.called_by_the_chair(sentence), ("", ""))
        raw = (
            b"That ends the statement.\nOrder.\nI call the shadow Minister.\n"
            b"We welcome the statement.\nWe have questions.\n"
        )
        speeches = plaintext.parse(raw, metadata=METADATA).debates[0].speeches
        self.assertEqual(
            [(s.line, s.speaker_name, s.speaker_role) for s in speeches],
            [(1, "", ""), (2, "", ""), (4, "", "The shadow Minister")],
        )

    def test_same_sentences_same_turns(self):
        text = (SEEDS / "000_9ca9d066f0ebde3b.txt").read_text(encoding="utf-8")
        self.assertEqual(starts(text), starts(text))


class SeedTurnsTests(SimpleTestCase):
    """The seeds' turns as the text shows them, read by a person: where the detector splits,
    it splits at the new speaker's first sentence; it makes no wrong split."""

    def test_the_urgent_question_splits_where_the_minister_answers(self):
        raw = (SEEDS / "000_9ca9d066f0ebde3b.txt").read_bytes()
        speeches = plaintext.parse(raw, metadata=METADATA).debates[0].speeches
        # Real turns start at lines 1, 7 ("My understanding is ..." answers a question put to
        # the Minister), 10, 14 ("My hon. Friend makes a good point."), 18 and 21 ("The hon.
        # Lady will know ..."). At 10 and 18 a new questioner opens with no cue the text shows
        # ("There is nothing morally courageous ...", "Ahead of today's ... vote, ..."): left
        # unsplit rather than guessed. Line 8 ("The hon. Gentleman makes a plea ...") goes on
        # the Minister's answer begun at 7 and is not split.
        self.assertEqual([s.line for s in speeches], [1, 7, 14, 21])
        self.assertEqual(
            [s.paragraphs[0][0][:40] for s in speeches],
            [
                "Hundreds of British Palestinians have se",
                "My understanding is that both the Foreig",
                "My hon. Friend makes a good point.",
                "The hon. Lady will know that Britain alw",
            ],
        )
        # and each ends where the next begins: each question stays with its questioner
        self.assertEqual(
            [s.paragraphs[-1][-1][-30:] for s in speeches],
            [
                "rael’s indiscriminate strikes?",
                "er, and I hope that continues.",
                " it through, or to support it?",
                "orking flat out to achieve it.",
            ],
        )
        self.assertLessEqual({s.line for s in speeches}, {1, 7, 10, 14, 18, 21})

    def test_each_rule_fires_where_the_text_shows_it(self):
        cases = {
            turns.Rule.ACKNOWLEDGES: ["We are on it.", "My hon. Friend makes a good point."],
            turns.Rule.ANSWERS: [
                "Has the Minister met the families?",
                "My understanding is that she has.",
            ],
            turns.Rule.CALLED: ["I call Adam Afriyie.", "Thank you, Mr Speaker."],
        }
        for rule, sentences in cases.items():
            with self.subTest(rule=rule):
                self.assertEqual(turns.rule_at(sentences, 1), rule)
                self.assertEqual(turns.turn_starts(sentences), [0, 1])
        for sentences in (
            # runs on past the compliment: about the point, not granting it
            ["We are working on it.", "My hon. Friend raises a point that we will consider."],
            # an answer's words after a question not put to anyone replying
            ["What is the reason for that?", "Indeed, nobody knows."],
            # a question after a question is the same questioner
            ["Has the Minister met them?", "Yes or no?"],
        ):
            with self.subTest(sentences=sentences):
                self.assertIsNone(turns.rule_at(sentences, 1))

    def test_the_statement_stays_one_speech(self):
        text = (SEEDS / "001_c1147e2eaee32068.txt").read_text(encoding="utf-8")
        self.assertEqual(starts(text), [1])

    def test_every_speech_of_plain_text_says_its_edges_were_inferred(self):
        raw = (SEEDS / "000_9ca9d066f0ebde3b.txt").read_bytes()
        speeches = plaintext.parse(raw, metadata=METADATA).debates[0].speeches
        self.assertEqual({s.boundary for s in speeches}, {SpeechBoundary.INFERRED})
        self.assertEqual({s.speaker_name for s in speeches}, {""})
