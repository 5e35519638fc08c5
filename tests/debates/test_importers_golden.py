"""Each sample transcript parses to exactly what its golden file says.

Regenerate on purpose with `python -m tests.debates.golden` (or CHAMBER_REGENERATE_GOLDEN=1
while running this test) and read the diff."""

import json

from django.test import SimpleTestCase

from tests.debates import golden


class GoldenFileTests(SimpleTestCase):
    def test_every_sample_has_a_golden_file(self):
        samples = golden.samples()
        self.assertGreaterEqual(len(samples), 11)
        for sample in samples:
            with self.subTest(sample=sample.name):
                self.assertTrue(
                    golden.expected_path(sample).exists() or golden.REGENERATE,
                    f"no golden file for {sample.name}: run python -m tests.debates.golden",
                )

    def test_samples_parse_as_their_golden_files_say(self):
        if golden.REGENERATE:
            golden.write_all()
        for sample in golden.samples():
            with self.subTest(sample=sample.name):
                expected = json.loads(golden.expected_path(sample).read_text(encoding="utf-8"))
                actual = json.loads(golden.dumps(golden.result_of(sample)))
                self.assertEqual(actual, expected)
