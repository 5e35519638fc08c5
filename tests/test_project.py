import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from config.settings import database_from_url, env_bool


class MigrationTests(TestCase):
    def test_models_and_migrations_agree(self):
        out = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
        except SystemExit:
            self.fail(f"Missing migrations:\n{out.getvalue()}")


class SettingsTests(SimpleTestCase):
    def test_postgres_url_uses_psycopg_with_every_part(self):
        db = database_from_url(
            "postgres://chamber:s%40cret@db.example:6543/hansard?sslmode=require"
        )
        self.assertEqual(db["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual(
            (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]),
            ("hansard", "chamber", "s@cret", "db.example", "6543"),
        )
        self.assertEqual(db["OPTIONS"], {"sslmode": "require"})

    def test_sqlite_url_relative_to_the_project_or_absolute(self):
        relative = database_from_url("sqlite:///var/other.sqlite3")
        self.assertEqual(relative["NAME"], Path(settings.BASE_DIR) / "var" / "other.sqlite3")
        absolute = database_from_url(f"sqlite:///{settings.BASE_DIR}/var/abs.sqlite3")
        self.assertEqual(absolute["NAME"], Path(settings.BASE_DIR) / "var" / "abs.sqlite3")

    def test_bad_database_urls_are_refused_with_a_message(self):
        for url in ["mysql://root@localhost/db", "postgres://localhost", "sqlite://"]:
            with self.subTest(url=url), self.assertRaises(ImproperlyConfigured):
                database_from_url(url)

    def test_env_bool_fails_loudly_on_nonsense(self):
        os.environ["CHAMBER_TEST_FLAG"] = "maybe"
        try:
            with self.assertRaisesMessage(ImproperlyConfigured, "CHAMBER_TEST_FLAG='maybe'"):
                env_bool("CHAMBER_TEST_FLAG", False)
            os.environ["CHAMBER_TEST_FLAG"] = "off"
            self.assertFalse(env_bool("CHAMBER_TEST_FLAG", True))
        finally:
            del os.environ["CHAMBER_TEST_FLAG"]

    def test_production_refuses_to_start_without_a_secret_key(self):
        env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set when DEBUG is off", result.stderr)
