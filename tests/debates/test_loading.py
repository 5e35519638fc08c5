"""load_file writes a file whole or not at all, and loading it again is harmless."""

import datetime
import hashlib
import unittest
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from debates.ingest.importers import detect
from debates.ingest.importers.manifest import parse_manifest
from debates.ingest.importers.transcript import DebateMetadata, ParsedDebate, ParsedSpeech
from debates.ingest.loading import DebatePlan, LoadError, load_file, load_files, plan_file
from debates.models import Debate, Member, MemberIdentifier, SourceFile, Speech

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
SEED_UQ = "000_9ca9d066f0ebde3b.txt"  # urgent question, 19 December 2023: 4 speeches
SEED_STATEMENT = "001_c1147e2eaee32068.txt"  # ministerial statement, 26 March 2024: 1 speech
MANIFEST = parse_manifest((SEEDS / "manifest.json").read_bytes())


def seed_bytes(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def load_seed(name: str, raw: bytes | None = None, **kwargs):
    raw = seed_bytes(name) if raw is None else raw
    kwargs.setdefault("metadata", MANIFEST[name])
    return load_file(raw, name=name, **kwargs)


def row_counts() -> dict[str, int]:
    models = (SourceFile, Debate, Speech, Member, MemberIdentifier)
    return {model.__name__: model.objects.count() for model in models}


def debate_ids() -> set[int]:
    return set(Debate.objects.values_list("id", flat=True))


def refuse_speech_inserts() -> None:
    """Make the database itself refuse any new speech, so that a load fails after its source
    file and debate rows were written. The trigger goes with the test's transaction."""
    table = connection.ops.quote_name(Speech._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_speech BEFORE INSERT ON {table}"
                " BEGIN SELECT RAISE(ABORT, 'speech refused by test trigger'); END"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_speech() RETURNS trigger AS $$ BEGIN"
                " RAISE EXCEPTION 'speech refused by test trigger'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_speech BEFORE INSERT ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION refuse_speech()"
            )
        else:  # pragma: no cover
            raise unittest.SkipTest(f"no test trigger for {connection.vendor}")


class LoadSeedsTests(TestCase):
    def test_loading_the_seeds_creates_their_debates(self):
        results = [load_seed(SEED_UQ), load_seed(SEED_STATEMENT)]
        self.assertEqual([result.status for result in results], ["loaded", "loaded"])
        self.assertEqual(Debate.objects.count(), 2)
        for name in (SEED_UQ, SEED_STATEMENT):
            with self.subTest(name=name):
                debate = Debate.objects.get(source_file__name=name)
                metadata = MANIFEST[name]
                self.assertEqual(
                    (debate.title, debate.date, debate.house, debate.kind),
                    (metadata.title, metadata.date, metadata.house, metadata.kind),
                )

    def test_result_counts(self):
        result = load_seed(SEED_UQ)
        self.assertEqual(
            (result.debate_count, result.speech_count, result.sentence_count), (1, 4, 19)
        )
        self.assertEqual([debate.id for debate in result.debates], list(debate_ids()))

    def test_speeches_hold_the_parsed_sentences_in_order(self):
        for name in (SEED_UQ, SEED_STATEMENT):
            with self.subTest(name=name):
                load_seed(name)
                parsed = detect.parse(seed_bytes(name), metadata=MANIFEST[name]).debates[0]
                speeches = list(Speech.objects.filter(debate__source_file__name=name))
                self.assertEqual(
                    [speech.position for speech in speeches],
                    list(range(1, len(parsed.speeches) + 1)),
                )
                self.assertEqual(
                    [speech.sentences for speech in speeches],
                    [list(speech.sentences) for speech in parsed.speeches],
                )
                self.assertEqual({speech.speaker_name for speech in speeches}, {""})

    def test_speech_keeps_its_paragraphs(self):
        raw = b"A.\n\nWill the Minister meet them?\nI thank the hon. Lady for that.\nC.\n\nD.\n"
        load_file(raw, name="p.txt", metadata=MANIFEST[SEED_UQ])
        self.assertEqual(
            [speech.paragraphs for speech in Speech.objects.all()],
            [
                [["A."], ["Will the Minister meet them?"]],
                [["I thank the hon. Lady for that.", "C."], ["D."]],
            ],
        )

    def test_source_file_keeps_the_raw_bytes(self):
        raw = seed_bytes(SEED_UQ)
        load_seed(SEED_UQ)
        source = SourceFile.objects.get()
        self.assertEqual(bytes(source.raw), raw)
        self.assertEqual(source.sha256, hashlib.sha256(raw).hexdigest())
        self.assertEqual(source.size, len(raw))
        self.assertEqual(source.format, "plaintext")
        self.assertEqual(source.name, SEED_UQ)
        self.assertEqual(list(source.debates.all()), list(Debate.objects.all()))

    def test_dry_run_writes_nothing(self):
        result = load_seed(SEED_UQ, dry_run=True)
        self.assertEqual(result.status, "would load")
        self.assertFalse(result.wrote)
        self.assertEqual(
            (result.debate_count, result.speech_count, result.sentence_count), (1, 4, 19)
        )
        self.assertEqual(set(row_counts().values()), {0})


class ReloadTests(TestCase):
    def setUp(self):
        load_seed(SEED_UQ)
        load_seed(SEED_STATEMENT)
        self.counts = row_counts()
        self.ids = debate_ids()

    def test_loading_the_same_bytes_again_changes_nothing(self):
        result = load_seed(SEED_UQ)
        self.assertEqual(result.status, "unchanged")
        self.assertFalse(result.wrote)
        self.assertEqual(row_counts(), self.counts)
        self.assertEqual(debate_ids(), self.ids)
        self.assertEqual([debate.title for debate in result.debates], ["Israel and Gaza"])

    def test_same_bytes_under_another_name_are_unchanged(self):
        result = load_file(seed_bytes(SEED_UQ), name="copy.txt", metadata=MANIFEST[SEED_UQ])
        self.assertEqual(result.status, "unchanged")
        self.assertEqual(row_counts(), self.counts)

    def test_replace_reloads_the_file(self):
        old = Debate.objects.get(source_file__name=SEED_UQ)
        result = load_seed(SEED_UQ, replace=True)
        self.assertEqual(result.status, "replaced")
        self.assertEqual(result.removed_debate_count, 1)
        self.assertEqual(row_counts(), self.counts)
        new = Debate.objects.get(source_file__name=SEED_UQ)
        self.assertFalse(Debate.objects.filter(id=old.id).exists())
        self.assertEqual(debate_ids(), self.ids - {old.id} | {new.id})
        self.assertEqual([debate.id for debate in result.debates], [new.id])
        self.assertEqual(new.speeches.count(), 4)
        self.assertEqual(new.get_absolute_url(), old.get_absolute_url())

    def test_dry_run_replace_writes_nothing(self):
        result = load_seed(SEED_UQ, replace=True, dry_run=True)
        self.assertEqual(result.status, "would replace")
        self.assertEqual(result.removed_debate_count, 1)
        self.assertEqual(row_counts(), self.counts)
        self.assertEqual(debate_ids(), self.ids)

    def test_different_file_with_a_loaded_debate_is_refused(self):
        raw = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"
        with self.assertRaises(LoadError) as caught:
            load_file(raw, name="revised.txt", metadata=MANIFEST[SEED_UQ])
        message = str(caught.exception)
        self.assertTrue(message.startswith("revised.txt: "))
        self.assertIn("HC Deb 19 December 2023", message)
        self.assertIn(SEED_UQ, message)
        self.assertIn("--replace", message)
        self.assertEqual(row_counts(), self.counts)
        self.assertEqual(debate_ids(), self.ids)

    def test_different_file_with_a_loaded_debate_replaces_it_with_replace(self):
        old = Debate.objects.get(source_file__name=SEED_UQ)
        raw = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"
        result = load_file(raw, name="revised.txt", metadata=MANIFEST[SEED_UQ], replace=True)
        self.assertEqual(result.status, "replaced")
        self.assertEqual(result.removed_debate_count, 1)
        self.assertEqual(Debate.objects.count(), 2)
        self.assertFalse(Debate.objects.filter(id=old.id).exists())
        new = Debate.objects.get(source_file__name="revised.txt")
        self.assertEqual(new.speeches.last().sentences[-1], "An extra sentence.")
        self.assertEqual(new.slug, old.slug)

    def test_same_debate_through_its_official_reference_is_refused(self):
        metadata = DebateMetadata(
            title="Gaza",
            date=datetime.date(2023, 12, 19),
            source_reference="https://hansard.parliament.uk/example",
        )
        load_file(b"First.\n", name="a.txt", metadata=metadata)
        with self.assertRaisesMessage(LoadError, "--replace"):
            load_file(
                b"Second.\n",
                name="b.txt",
                metadata=DebateMetadata(
                    title="Gaza (corrected title)",
                    date=datetime.date(2023, 12, 19),
                    source_reference="https://hansard.parliament.uk/example",
                ),
            )


class FailureTests(TestCase):
    def test_malformed_file_writes_nothing_and_names_the_file_and_line(self):
        lines = seed_bytes(SEED_UQ).split(b"\n")
        lines[9] = lines[9].replace(b"courageous", b"courag\xe9ous")  # Latin-1, not UTF-8
        with self.assertRaises(LoadError) as caught:
            load_seed(SEED_UQ, raw=b"\n".join(lines))
        self.assertTrue(str(caught.exception).startswith(f"{SEED_UQ}: line 10: "))
        self.assertIn("UTF-8", str(caught.exception))
        self.assertEqual(set(row_counts().values()), {0})

    def test_unknown_house_is_refused_before_writing(self):
        metadata = DebateMetadata(title="T", date=datetime.date(2024, 1, 10), house="senate")
        with self.assertRaisesMessage(LoadError, "x.txt: unknown house 'senate'"):
            load_file(b"A sentence.\n", name="x.txt", metadata=metadata)
        self.assertEqual(set(row_counts().values()), {0})

    def test_failed_write_rolls_back_the_whole_file(self):
        # Atomicity through a real database error raised after the SourceFile and Debate rows
        # of the file were inserted (a trigger refuses the speeches).
        refuse_speech_inserts()
        with self.assertRaises(DatabaseError):
            load_seed(SEED_UQ)
        self.assertEqual(set(row_counts().values()), {0})

    def test_failed_replace_keeps_the_debate_it_was_replacing(self):
        load_seed(SEED_UQ)
        counts, old = row_counts(), Debate.objects.get()
        refuse_speech_inserts()
        raw = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"
        with self.assertRaises(DatabaseError):
            load_file(raw, name="revised.txt", metadata=MANIFEST[SEED_UQ], replace=True)
        self.assertEqual(row_counts(), counts)
        self.assertEqual(Debate.objects.get().id, old.id)
        self.assertEqual(old.speeches.count(), 4)

    def test_title_too_long_for_its_column_is_a_load_error(self):
        metadata = DebateMetadata(title="T" * 501, date=datetime.date(2024, 1, 10))
        with self.assertRaisesMessage(LoadError, "long.txt"):
            load_file(b"A sentence.\n", name="long.txt", metadata=metadata)
        self.assertEqual(set(row_counts().values()), {0})


class SlugTests(TestCase):
    def test_same_title_same_date_in_another_house_gets_its_own_slug(self):
        load_seed(SEED_UQ)
        lords = DebateMetadata(
            title="Israel and Gaza", date=datetime.date(2023, 12, 19), house="lords"
        )
        load_file(b"My Lords, a statement.\n", name="lords.txt", metadata=lords)
        commons, lords = Debate.objects.order_by("id")
        self.assertEqual(commons.slug, "israel-and-gaza")
        self.assertEqual(lords.slug, "israel-and-gaza-hl")
        self.assertNotEqual(commons.get_absolute_url(), lords.get_absolute_url())

    def test_same_title_twice_in_one_house_on_one_day_is_numbered(self):
        # 28 March 2023: oral questions "Justice", and later a petition section "Justice".
        result = load_file(
            (PARLPARSE / "debates2023-03-28d.xml").read_bytes(), name="debates2023-03-28d.xml"
        )
        slugs = [debate.slug for debate in result.debates if debate.title == "Justice"]
        self.assertEqual(slugs, ["justice", "justice-2"])

    def test_same_title_on_another_date_keeps_the_plain_slug(self):
        load_seed(SEED_UQ)
        load_seed(SEED_STATEMENT)
        self.assertEqual(set(Debate.objects.values_list("slug", flat=True)), {"israel-and-gaza"})

    def test_citation(self):
        load_seed(SEED_UQ)
        load_seed(SEED_STATEMENT)
        self.assertEqual(
            [debate.citation for debate in Debate.objects.order_by("date")],
            ["HC Deb 19 December 2023", "HC Deb 26 March 2024"],
        )


class PlanTests(TestCase):
    """plan_file says what loading would do and writes nothing."""

    def test_a_new_file_is_planned_with_its_debates_and_writes_nothing(self):
        plan = plan_file(seed_bytes(SEED_UQ), name=SEED_UQ, metadata=MANIFEST[SEED_UQ])
        self.assertEqual(plan.status, "new")
        self.assertEqual(plan.format, "plaintext")
        (debate,) = plan.debates
        self.assertEqual((debate.parsed.title, debate.speech_count), ("Israel and Gaza", 4))
        self.assertEqual((debate.resolved_count, debate.unresolved_names), (0, []))
        self.assertEqual(set(row_counts().values()), {0})

    def test_the_same_bytes_are_planned_as_unchanged(self):
        load_seed(SEED_UQ)
        plan = plan_file(seed_bytes(SEED_UQ), name="again.txt", metadata=MANIFEST[SEED_UQ])
        self.assertEqual(plan.status, "unchanged")
        self.assertEqual(plan.unchanged.name, SEED_UQ)

    def test_other_bytes_of_a_loaded_debate_are_planned_as_a_repeat(self):
        (old,) = load_seed(SEED_UQ).debates
        raw = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"
        plan = plan_file(raw, name="revised.txt", metadata=MANIFEST[SEED_UQ])
        self.assertEqual(plan.status, "repeats")
        self.assertEqual([debate.id for debate in plan.repeats], [old.id])

    def test_a_file_that_cannot_be_parsed_is_planned_as_an_error_naming_it(self):
        plan = plan_file(b"", name="empty.txt")
        self.assertEqual(plan.status, "error")
        self.assertEqual(plan.error, "empty.txt: the file is empty")

    @override_settings(CHAMBER_MAX_TRANSCRIPT_BYTES=100)
    def test_a_file_over_the_size_limit_is_refused_before_parsing(self):
        plan = plan_file(b"A sentence.\n" * 20, name="big.txt")
        self.assertEqual(plan.error, "big.txt: the file is 240 bytes, over the limit of 100 bytes")
        with self.assertRaisesMessage(LoadError, "big.txt: the file is"):
            load_file(b"A sentence.\n" * 20, name="big.txt")


class LoadFilesTests(TestCase):
    """load_files loads many files together or not at all."""

    def files(self):
        return [(name, seed_bytes(name), MANIFEST[name]) for name in (SEED_UQ, SEED_STATEMENT)]

    def test_files_load_together(self):
        results = load_files(self.files())
        self.assertEqual([result.status for result in results], ["loaded", "loaded"])
        self.assertEqual(Debate.objects.count(), 2)
        self.assertEqual(SourceFile.objects.count(), 2)

    def test_one_failing_file_leaves_nothing_from_the_others(self):
        files = [*self.files(), ("bad.txt", b"\x00\x01\x02 binary", DebateMetadata())]
        with self.assertRaisesMessage(LoadError, "bad.txt: "):
            load_files(files)
        self.assertEqual(set(row_counts().values()), {0})

    def test_a_database_error_in_the_second_file_leaves_nothing_from_the_first(self):
        load_seed(SEED_STATEMENT)
        counts = row_counts()
        refuse_speech_inserts()
        with self.assertRaises(DatabaseError):
            load_files(self.files())
        self.assertEqual(row_counts(), counts)

    def test_the_same_bytes_twice_in_one_upload_load_once(self):
        name, raw, metadata = self.files()[0]
        results = load_files([(name, raw, metadata), ("copy.txt", raw, metadata)])
        self.assertEqual([result.status for result in results], ["loaded", "unchanged"])
        self.assertEqual(Debate.objects.count(), 1)

    def test_a_repeat_is_skipped_or_replaced_as_chosen_per_file(self):
        (old,) = load_seed(SEED_UQ).debates
        revised = ("revised.txt", seed_bytes(SEED_UQ) + b"\nMore.\n", MANIFEST[SEED_UQ])
        (skipped,) = load_files([revised], skip={"revised.txt"})
        self.assertEqual((skipped.status, skipped.reason), ("skipped", "chosen to skip"))
        self.assertEqual(Debate.objects.get().id, old.id)
        (replaced,) = load_files([revised], replace={"revised.txt"})
        self.assertEqual((replaced.status, replaced.removed_debate_count), ("replaced", 1))
        self.assertEqual(Debate.objects.get().source_file.name, "revised.txt")
        # Both files' bytes are kept.
        self.assertEqual(SourceFile.objects.count(), 2)


class UnresolvedNamesTests(TestCase):
    def test_offices_and_groups_are_not_unresolved_speakers(self):
        speeches = tuple(
            ParsedSpeech(paragraphs=(("Words.",),), speaker_name=name)
            for name in ["Mr Speaker", "Jane Nobody", "Hon. Members", "Jane Nobody"]
        )
        debate = ParsedDebate(
            title="T",
            date=datetime.date(2024, 1, 10),
            house="commons",
            kind="debate",
            speeches=speeches,
        )
        plan = DebatePlan(parsed=debate, member_ids=[None] * 4)
        self.assertEqual(plan.unresolved_names, ["Jane Nobody"])


PARLPARSE = Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "parlparse"
DAY_A, DAY_B = "debates2009-10-26a.xml", "debates2009-10-26b.xml"


def load_parlparse(name: str, **kwargs):
    return load_file((PARLPARSE / name).read_bytes(), name=name, **kwargs)


class VersionTests(TestCase):
    """A ParlParse day issued in several versions: the newest letter supersedes the others."""

    def test_a_newer_version_replaces_the_older_one_and_both_files_are_kept(self):
        older = load_parlparse(DAY_A)
        self.assertEqual(older.status, "loaded")
        newer = load_parlparse(DAY_B)
        self.assertEqual(newer.status, "replaced")
        self.assertEqual(newer.removed_debate_count, older.debate_count)
        self.assertEqual(Debate.objects.count(), newer.debate_count)
        self.assertEqual(Speech.objects.count(), newer.speech_count)
        self.assertEqual(set(Debate.objects.values_list("source_file__name", flat=True)), {DAY_B})
        self.assertEqual(
            dict(SourceFile.objects.values_list("name", "version")), {DAY_A: "a", DAY_B: "b"}
        )

    def test_an_older_version_after_a_newer_one_is_skipped_and_says_why(self):
        newer = load_parlparse(DAY_B)
        counts = row_counts()
        older = load_parlparse(DAY_A)
        self.assertEqual(older.status, "skipped")
        self.assertEqual(older.reason, f"a newer version ({DAY_B}) is loaded")
        self.assertEqual(row_counts(), counts)
        self.assertEqual(set(Debate.objects.all()), set(newer.debates))

    def test_the_plan_of_an_older_version_names_the_newer_one(self):
        load_parlparse(DAY_B)
        plan = plan_file((PARLPARSE / DAY_A).read_bytes(), name=DAY_A)
        self.assertEqual((plan.status, plan.newer.name), ("older-version", DAY_B))

    def test_a_version_with_no_speeches_is_refused_and_writes_nothing(self):
        with self.assertRaisesMessage(LoadError, "debates2009-10-27c.xml: "):
            load_parlparse("debates2009-10-27c.xml")
        self.assertEqual(set(row_counts().values()), {0})


def parlparse_day(day: str, titles: list[str]) -> bytes:
    """A ParlParse sitting day: a debate for each title, of one speech by a known member."""
    ids = (f"uk.org.publicwhip/debate/{day}a.1.{n}" for n in range(1, 2 * len(titles) + 1))
    parts = [
        f'<major-heading id="{next(ids)}">{title}</major-heading>'
        f'<speech id="{next(ids)}" speakername="Diane Abbott"'
        ' person_id="uk.org.publicwhip/person/10001"><p>A sentence.</p></speech>'
        for title in titles
    ]
    return f"<publicwhip>{''.join(parts)}</publicwhip>".encode()


class QueriesPerFileTests(TestCase):
    """Loading a file takes as many queries however many debates it holds: a sitting day's
    debates, speeches and slugs are each written or read at once."""

    def setUp(self):
        member = Member.objects.create(name="Diane Abbott", sort_name="Abbott", slug="da")
        MemberIdentifier.objects.create(
            member=member, scheme="parlparse-person", value="uk.org.publicwhip/person/10001"
        )

    def queries_to_load(self, day: str, titles: list[str]) -> int:
        with CaptureQueriesContext(connection) as queries:
            load_file(parlparse_day(day, titles), name=f"debates{day}a.xml")
        return len(queries)

    def test_a_day_of_twelve_debates_takes_the_queries_of_a_day_of_two(self):
        two = self.queries_to_load("2024-03-25", ["Housing", "Housing"])
        twelve = self.queries_to_load("2024-03-26", [f"Debate {n % 6}" for n in range(12)])
        self.assertEqual(twelve, two)
        slugs = Debate.objects.filter(date="2024-03-26").values_list("slug", flat=True)
        self.assertEqual(sorted(slugs)[:2], ["debate-0", "debate-0-2"])
        self.assertEqual(Debate.objects.filter(date="2024-03-25").count(), 2)
        self.assertEqual(Speech.objects.filter(member__name="Diane Abbott").count(), 14)

    def test_the_debates_of_a_day_loaded_already_are_found_in_one_query(self):
        load_file(parlparse_day("2024-03-26", ["Housing", "Energy"]), name="first.xml")
        again = parlparse_day("2024-03-26", ["Energy", "Schools", "Housing"])
        plan = plan_file(again, name="again.xml")
        repeats = [[debate.title for debate in plan.repeats] for plan in plan.debates]
        # Ids are given in order: "Energy" now has the id "Housing" had (and Energy's title),
        # "Schools" the id "Energy" had; "Housing" has a new id but the same title.
        self.assertEqual(repeats, [["Housing", "Energy"], ["Energy"], ["Housing"]])
