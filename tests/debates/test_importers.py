"""The importers are pure: bytes in, dataclasses out. No database here."""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from debates.ingest.importers import detect, plaintext
from debates.ingest.importers.manifest import parse_date, parse_manifest
from debates.ingest.importers.text import kind_from, normalise_space, rejoin_broken_lines
from debates.ingest.importers.transcript import DebateMetadata, ParsedTranscript, ParseError
from debates.ingest.importers.turns import split_into_turns, starts_new_turn

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
SEED_UQ = "000_9ca9d066f0ebde3b.txt"  # urgent question, 19 December 2023
SEED_STATEMENT = "001_c1147e2eaee32068.txt"  # ministerial statement, 26 March 2024
METADATA = DebateMetadata(title="Test debate", date=datetime.date(2024, 1, 10))


def seed_bytes(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def parse_seed(name: str) -> ParsedTranscript:
    manifest = parse_manifest((SEEDS / "manifest.json").read_bytes())
    return detect.parse(seed_bytes(name), metadata=manifest[name])


def parse_text(raw: bytes | str, metadata: DebateMetadata = METADATA) -> ParsedTranscript:
    return detect.parse(raw.encode() if isinstance(raw, str) else raw, metadata=metadata)


def sentences_of(parsed: ParsedTranscript) -> list[str]:
    return [s for debate in parsed.debates for speech in debate.speeches for s in speech.sentences]


def expected_sentences(raw: bytes) -> list[str]:
    """The seeds' sentences worked out independently of the importer: a line ending in "hon."
    runs on into the next line; runs of spaces become one; no space before a full stop."""
    sentences, pending = [], ""
    for line in raw.decode("utf-8-sig").splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        line = f"{pending} {line}" if pending else line
        if re.search(r"\bhon\.$", line):
            pending = line
            continue
        sentences.append(re.sub(r" ([.,;:?!)])", r"\1", line))
        pending = ""
    return sentences


class RejoiningTests(SimpleTestCase):
    def test_line_broken_after_the_hon_is_rejoined(self):
        sentences = sentences_of(parse_seed(SEED_UQ))
        self.assertIn(
            "The hon. Gentleman makes a plea for those difficulties to end, and I hope he will"
            " accept that the Government are doing everything we can to fulfil what he wants to"
            " see and what we want to see.",
            sentences,
        )
        self.assertIn("My hon. Friend makes a good point.", sentences)
        self.assertTrue(
            any(s.startswith("The hon. Lady will know that Britain") for s in sentences)
        )

    def test_line_broken_after_my_right_hon_is_rejoined(self):
        sentences = sentences_of(parse_seed(SEED_STATEMENT))
        self.assertTrue(
            any(
                s.startswith("My right hon. Friends the Prime Minister and the Foreign Secretary")
                for s in sentences
            )
        )

    def test_chained_breaks_make_one_sentence(self):
        # Seed lines 2-4: "... to  the hon." / "Member for ... and my hon." / "Friend  the ..."
        sentences = sentences_of(parse_seed(SEED_UQ))
        self.assertEqual(
            sentences[1],
            "I put on record my thanks to the hon. Member for Oxford West and Abingdon"
            " (Layla Moran) and my hon. Friend the Member for Bradford East (Imran Hussain) for"
            " organising the moving event with Professor Ghassan Abu Sitta.",
        )

    def test_no_sentence_is_left_broken(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            for sentence in sentences_of(parse_seed(name)):
                with self.subTest(name=name, sentence=sentence[:40]):
                    self.assertNotRegex(sentence, r"\bhon\.$")
                    self.assertNotRegex(sentence, r"^(Gentleman|Lady|Member|Friends?)\b")

    def test_runs_of_spaces_are_normalised(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            for sentence in sentences_of(parse_seed(name)):
                with self.subTest(name=name, sentence=sentence[:40]):
                    self.assertNotIn("  ", sentence)
                    self.assertEqual(sentence, sentence.strip())

    def test_space_before_a_full_stop_is_removed(self):
        sentences = sentences_of(parse_seed(SEED_STATEMENT))
        self.assertIn("The kidnapping and violence on 7 October was appalling.", sentences)
        self.assertIn(
            "We regret that this resolution did not condemn the abhorrent and brutal terrorist"
            " attacks perpetrated by Hamas on 7 October.",
            sentences,
        )

    def test_normalise_space(self):
        self.assertEqual(normalise_space("  on \t 7\u00a0October .  "), "on 7 October.")
        self.assertEqual(normalise_space("(Layla Moran )  and"), "(Layla Moran) and")

    def test_rejoined_sentence_keeps_the_number_of_its_first_line(self):
        lines = [(2, "to the hon."), (3, "Member and my hon."), (4, "Friend spoke."), (5, "Next.")]
        self.assertEqual(
            rejoin_broken_lines(lines),
            [(2, "to the hon. Member and my hon. Friend spoke."), (5, "Next.")],
        )

    def test_last_line_ending_in_hon_is_kept(self):
        self.assertEqual(sentences_of(parse_text("First.\nThe hon.\n")), ["First.", "The hon."])


class SentencesTests(SimpleTestCase):
    def test_every_sentence_is_stored_once_and_in_order(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            with self.subTest(name=name):
                raw = seed_bytes(name)
                expected = expected_sentences(raw)
                # The seeds do have broken lines, so the comparison is not trivial.
                self.assertLess(len(expected), len(raw.decode().splitlines()))
                self.assertEqual(sentences_of(parse_seed(name)), expected)

    def test_speech_and_sentence_counts(self):
        for name, speeches, sentences in [(SEED_UQ, 4, 19), (SEED_STATEMENT, 1, 35)]:
            with self.subTest(name=name):
                parsed = parse_seed(name)
                self.assertEqual(parsed.speech_count, speeches)
                self.assertEqual(parsed.sentence_count, sentences)
                self.assertEqual(len(sentences_of(parsed)), sentences)

    def test_every_word_is_kept(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            with self.subTest(name=name):
                raw_text = seed_bytes(name).decode("utf-8")
                parsed_text = " ".join(sentences_of(parse_seed(name)))
                self.assertEqual("".join(raw_text.split()), "".join(parsed_text.split()))

    def test_seed_metadata_comes_from_the_manifest(self):
        debate = parse_seed(SEED_UQ).debates[0]
        self.assertEqual(debate.title, "Israel and Gaza")
        self.assertEqual(debate.date, datetime.date(2023, 12, 19))
        self.assertEqual(debate.house, "commons")
        self.assertEqual(debate.kind, "urgent-question")

    def test_house_and_kind_default_for_plain_text(self):
        debate = parse_text("One sentence.").debates[0]
        self.assertEqual((debate.house, debate.kind), ("commons", "debate"))


class TurnsTests(SimpleTestCase):
    def test_an_address_to_the_previous_speaker_starts_a_turn(self):
        for sentence in [
            "The hon. Lady will know that Britain always takes a leading role.",
            "My hon. Friend makes a good point.",
            "The hon. Gentleman makes a plea for those difficulties to end.",
            "I thank the hon. Gentleman for his question.",
            "The right hon. and learned Gentleman is right.",
            "I am grateful to my right hon. Friend for that.",
        ]:
            with self.subTest(sentence=sentence):
                self.assertTrue(starts_new_turn(sentence))

    def test_a_mention_of_a_member_does_not_start_a_turn(self):
        for sentence in [
            "My right hon. Friends the Prime Minister and the Foreign Secretary, Lord Ahmad and I"
            " have met the families of hostages.",
            "I put on record my thanks to the hon. Member for Oxford West and Abingdon"
            " (Layla Moran) for organising the event.",
            "The hon. Member for Oxford West and Abingdon has campaigned on this.",
            "My hon. Friend the Member for Bradford East has raised this many times.",
            "That is the reality.",
            "Hamas must act on this now.",
            "Mr Speaker, I commend this statement to the House.",
        ]:
            with self.subTest(sentence=sentence):
                self.assertFalse(starts_new_turn(sentence))

    def test_split_into_turns_keeps_order(self):
        question = "Will the Minister meet the families?"
        thanks = "I thank the hon. Lady for her question."
        sentences = [question, thanks, "I will meet them.", "Will she meet them soon?", "Order."]
        self.assertEqual(
            split_into_turns(sentences),
            [[question], [thanks, "I will meet them.", "Will she meet them soon?"], ["Order."]],
        )

    def test_plain_text_names_no_speaker(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            for speech in parse_seed(name).debates[0].speeches:
                with self.subTest(name=name, line=speech.line):
                    self.assertEqual(speech.speaker_name, "")
                    self.assertEqual(speech.member_ref, "")


class ParagraphsTests(SimpleTestCase):
    def test_blank_line_starts_a_paragraph(self):
        speech = parse_text("One.\nTwo.\n\n\nThree.\n").debates[0].speeches[0]
        self.assertEqual(speech.paragraphs, (("One.", "Two."), ("Three.",)))

    def test_a_speech_keeps_its_paragraphs(self):
        text = "A.\n\nWill the Minister meet them?\nI thank the hon. Lady for that.\nC.\n\nD.\n"
        speeches = parse_text(text).debates[0].speeches
        self.assertEqual(
            [speech.paragraphs for speech in speeches],
            [
                (("A.",), ("Will the Minister meet them?",)),
                (("I thank the hon. Lady for that.", "C."), ("D.",)),
            ],
        )

    def test_seeds_have_one_paragraph_per_speech(self):
        for speech in parse_seed(SEED_UQ).debates[0].speeches:
            self.assertEqual(len(speech.paragraphs), 1)


class EncodingTests(SimpleTestCase):
    def test_byte_order_mark_is_ignored(self):
        raw = seed_bytes(SEED_UQ)
        with_bom = detect.parse(b"\xef\xbb\xbf" + raw, metadata=METADATA)
        self.assertEqual(with_bom, detect.parse(raw, metadata=METADATA))
        self.assertTrue(sentences_of(with_bom)[0].startswith("Hundreds of British"))

    def test_crlf_parses_like_lf(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            with self.subTest(name=name):
                raw = seed_bytes(name)
                self.assertIn(b"\n", raw)
                crlf = raw.replace(b"\n", b"\r\n")
                self.assertEqual(
                    detect.parse(crlf, metadata=METADATA), detect.parse(raw, metadata=METADATA)
                )

    def test_detect_format_of_the_seeds(self):
        self.assertEqual(detect.detect_format(seed_bytes(SEED_UQ)), "plaintext")


class ErrorsTests(SimpleTestCase):
    def test_empty_file_is_refused(self):
        with self.assertRaisesMessage(ParseError, "the file is empty"):
            parse_text(b"")

    def test_whitespace_only_file_is_refused(self):
        for raw in [b"   \n\t\r\n\n", b"\xef\xbb\xbf \n"]:
            with self.subTest(raw=raw), self.assertRaises(ParseError):
                parse_text(raw)

    def test_blank_lines_of_other_whitespace_hold_no_text(self):
        with self.assertRaisesMessage(ParseError, "the file holds no text"):
            parse_text("\u00a0\n\x0c\n")

    def test_binary_file_is_refused(self):
        with self.assertRaisesMessage(ParseError, "binary"):
            parse_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    def test_invalid_utf8_names_the_line(self):
        with self.assertRaises(ParseError) as caught:
            parse_text(b"First.\nSecond.\nThird \xff sentence.\nFourth.\n")
        self.assertEqual(caught.exception.line, 3)
        self.assertTrue(str(caught.exception).startswith("line 3: "))
        self.assertIn("UTF-8", str(caught.exception))
        self.assertIn("0xff", str(caught.exception))

    def test_invalid_utf8_after_a_byte_order_mark_names_the_line(self):
        with self.assertRaises(ParseError) as caught:
            parse_text(b"\xef\xbb\xbfab\ncd\n\xff\n")
        self.assertEqual(caught.exception.line, 3)
        self.assertIn("0xff", str(caught.exception))

    def test_missing_title_or_date_is_refused(self):
        for metadata, missing in [
            (DebateMetadata(date=datetime.date(2024, 1, 10)), "title"),
            (DebateMetadata(title="Test debate"), "date"),
            (DebateMetadata(), "title or date"),
        ]:
            with (
                self.subTest(missing=missing),
                self.assertRaisesMessage(ParseError, f"plain text carries no {missing}:"),
            ):
                parse_text("A sentence.", metadata=metadata)

    def test_other_xml_is_refused_with_the_supported_formats(self):
        for raw in [b'<?xml version="1.0"?><debate/>', b"\xef\xbb\xbf\n  <html><body/></html>"]:
            with self.subTest(raw=raw):
                with self.assertRaises(ParseError) as caught:
                    parse_text(raw)
                message = str(caught.exception)
                self.assertIn("XML with the root element", message)
                for name in ("parlparse", "akomantoso", "hansard-text", "plaintext (plain text"):
                    self.assertIn(name, message)

    def test_parlparse_root_without_speeches_is_refused_by_the_parlparse_importer(self):
        with self.assertRaisesMessage(ParseError, "holds no speeches"):
            parse_text(b"\xef\xbb\xbf\n  <publicwhip/>")


class ManifestTests(SimpleTestCase):
    def test_seed_manifest(self):
        manifest = parse_manifest((SEEDS / "manifest.json").read_bytes())
        self.assertEqual(
            manifest[SEED_STATEMENT],
            DebateMetadata(
                title="Israel and Gaza",
                date=datetime.date(2024, 3, 26),
                house="commons",
                kind="statement",
            ),
        )
        self.assertEqual(set(manifest), {SEED_UQ, SEED_STATEMENT})

    def test_byte_order_mark_is_ignored(self):
        manifest = parse_manifest(b'\xef\xbb\xbf{"files": {"a.txt": {"title": "A"}}}')
        self.assertEqual(manifest, {"a.txt": DebateMetadata(title="A")})

    def test_invalid_json_names_the_line(self):
        with self.assertRaises(ParseError) as caught:
            parse_manifest(b'{"files": {\n  "a.txt": {"title": "A",}\n}}')
        self.assertEqual(caught.exception.line, 2)
        self.assertIn("not valid JSON", str(caught.exception))

    def test_not_utf8_is_refused(self):
        with self.assertRaisesMessage(ParseError, "not UTF-8"):
            parse_manifest(b'{"files": {"a.txt": {"title": "\xff"}}}')

    def test_unknown_field_is_refused(self):
        with self.assertRaisesMessage(
            ParseError, "manifest entry 'a.txt' has unknown fields: speaker"
        ):
            parse_manifest(b'{"files": {"a.txt": {"title": "A", "speaker": "B"}}}')

    def test_bad_date_is_refused(self):
        with self.assertRaises(ParseError) as caught:
            parse_manifest(b'{"files": {"a.txt": {"date": "19/12/2023"}}}')
        self.assertIn("manifest entry 'a.txt'", str(caught.exception))
        self.assertIn("'19/12/2023' is not a date in the form YYYY-MM-DD", str(caught.exception))

    def test_missing_files_is_refused(self):
        for raw in [b"{}", b'{"files": []}', b"[]"]:
            with self.subTest(raw=raw), self.assertRaisesMessage(ParseError, '"files"'):
                parse_manifest(raw)

    def test_entry_that_is_not_an_object_is_refused(self):
        with self.assertRaisesMessage(ParseError, "manifest entry 'a.txt' must be an object"):
            parse_manifest(b'{"files": {"a.txt": "Israel and Gaza"}}')

    def test_null_value_is_refused(self):
        with self.assertRaises(ParseError):
            parse_manifest(b'{"files": {"a.txt": {"title": null, "date": "2024-01-10"}}}')

    def test_parse_date(self):
        self.assertEqual(parse_date("2023-12-19", where="--date"), datetime.date(2023, 12, 19))
        with self.assertRaisesMessage(ParseError, "--date: '2023-13-01' is not a date"):
            parse_date("2023-13-01", where="--date")


class LineNumberingTests(SimpleTestCase):
    def test_form_feeds_and_unicode_separators_do_not_shift_lines_or_split_sentences(self):
        raw = (
            "First.\nWill the Minister meet the\x0c families?\n"
            "I thank the hon. Lady for\u2028her question.\n"
        ).encode()
        metadata = DebateMetadata(title="Test", date=datetime.date(2024, 1, 10))
        speeches = plaintext.parse(raw, metadata=metadata).debates[0].speeches
        self.assertEqual(speeches[1].line, 3)
        self.assertEqual(speeches[1].sentences, ("I thank the hon. Lady for her question.",))


class PurityTests(SimpleTestCase):
    def test_importers_do_not_import_django(self):
        """Parsing is pure (bytes -> dataclasses), so it can be tested and reused anywhere."""
        code = (
            "import sys, pkgutil, importlib, debates.ingest.importers as p\n"
            "for m in pkgutil.iter_modules(p.__path__):\n"
            "    importlib.import_module(f'debates.ingest.importers.{m.name}')\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))"
        )
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "[]")


class KindFromTests(SimpleTestCase):
    def test_the_kind_a_title_or_opening_tells(self):
        cases = {
            ("Illegal Migration Bill", ""): "bill",
            ("Procurement Bill [Lords]", ""): "bill",
            ("Bill Presented", ""): "",
            ("Points of Order", ""): "point-of-order",
            ("Petition - Anglian Water", ""): "petition",
            ("Strip Searching of Children", "(Urgent Question): To ask..."): "urgent-question",
            ("Bus Services (Consultation)", "I beg to move"): "",
        }
        for (title, opening), kind in cases.items():
            with self.subTest(title=title):
                self.assertEqual(kind_from(title, opening), kind)
