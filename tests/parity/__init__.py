"""A test-only app: one model with a field of each kind, indexed by `ParityIndex` into two
Haystack connections (tests.search.test_parity). Installed only while tests run
(tests/runner.py), and without migrations: the test database creates its table."""
