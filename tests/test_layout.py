"""The house's rules, read from the code's own imports: data flows one way, and no module
climbs back up to one that uses it (docs/architecture.md draws it)."""

import ast
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)


def imports_of(module: str) -> set[str]:
    """The project modules (config, debates, search, api) that `module` imports, resolved."""
    path = ROOT / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in PROJECT)
    return found


def modules_under(package: str) -> list[str]:
    folder = ROOT / Path(*package.split("."))
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in folder.rglob("*.py")
        if "migrations" not in path.parts
    )


PROJECT = {"config", "debates", "search", "api"}


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


class LayoutTests(SimpleTestCase):
    def assertImportsOnly(self, package: str, allowed: tuple[str, ...]):
        modules = modules_under(package)
        self.assertTrue(modules, package)
        for module in modules:
            with self.subTest(module=module):
                wrong = sorted(
                    name for name in imports_of(module) if not within(name, package, *allowed)
                )
                self.assertEqual(wrong, [], f"{module} reaches outside its floor")

    def test_the_vocabulary_and_words_stand_on_nothing(self):
        for module in ("debates.choices", "debates.words"):
            with self.subTest(module=module):
                self.assertEqual(imports_of(module), set())

    def test_importers_use_only_the_vocabulary(self):
        self.assertImportsOnly("debates.ingest.importers", ("debates.choices", "debates.words"))

    def test_models_stand_on_the_vocabulary_alone(self):
        imported = imports_of("debates.models")
        self.assertIn("debates.choices.House", imported)
        self.assertEqual({name for name in imported if not within(name, "debates.choices")}, set())

    def test_ingestion_never_climbs_back_to_the_admin_the_commands_or_the_pages(self):
        self.assertImportsOnly(
            "debates.ingest",
            ("debates.choices", "debates.words", "debates.models", "debates.signals"),
        )

    def test_debates_never_imports_search(self):
        # The writers tell search by signal; the pages mark words through its template tag.
        for package in ("debates",):
            for module in modules_under(package):
                with self.subTest(module=module):
                    self.assertFalse(
                        {name for name in imports_of(module) if within(name, "search")}
                    )

    def test_search_reads_the_models_but_not_ingestion_or_the_admin(self):
        # Beside the models: the signal it subscribes to (debates.signals), how a speech is
        # cited, how a chart is drawn and the feeds' entries (debates.citations, charts,
        # feeds), shared with the pages of the record.
        self.assertImportsOnly(
            "search",
            (
                "debates.choices",
                "debates.models",
                "debates.signals",
                "debates.words",
                "debates.citations",
                "debates.charts",
                "debates.feeds",
            ),
        )

    def test_the_record_never_reaches_the_api_and_its_helpers_never_reach_search(self):
        for module in ("debates.citations", "debates.charts", "debates.feeds"):
            with self.subTest(module=module):
                wrong = {n for n in imports_of(module) if not within(n, "debates")}
                self.assertEqual(wrong, set())
        self.assertEqual(imports_of("debates.charts"), set(), "charts are pure")

    def test_the_api_sits_above_the_record_and_search_and_nothing_imports_it(self):
        # search.engines and search.middleware: a search engine that cannot answer is a 503
        # in the API's error shape (api/errors.py).
        self.assertImportsOnly("api", ("debates.choices", "debates.models", "debates.citations",
                                       "search.forms", "search.views", "search.engines",
                                       "search.middleware"))  # fmt: skip
        for package in ("config", "debates", "search"):
            for module in modules_under(package):
                with self.subTest(module=module):
                    self.assertFalse(any(within(n, "api") for n in imports_of(module)))

    def test_config_stands_on_neither_app(self):
        # The production setup (middleware, logs, health check) is the project's own: it
        # reads Haystack, not `search` or `debates` (urls.py names them by string).
        self.assertImportsOnly("config", ())

    def test_the_commands_are_thin(self):
        commands = sorted((ROOT / "debates" / "management" / "commands").glob("[!_]*.py"))
        self.assertGreaterEqual(len(commands), 2)
        for path in commands:
            with self.subTest(command=path.stem):
                lines = path.read_text(encoding="utf-8").count("\n")
                self.assertLess(lines, 160, "a command parses arguments, calls ingest, prints")

    def test_this_test_sees_the_imports_it_checks(self):
        # A rule that finds no imports would pass for nothing.
        self.assertIn("debates.ingest.loading.load_files", imports_of("debates.ingest.staging"))
        self.assertIn("debates.ingest.sources", imports_of("debates.admin.upload_forms"))
        self.assertIn("debates.signals", imports_of("debates.ingest.loading"))
        self.assertIn("debates.signals", imports_of("search.indexing"))
        self.assertIn("search.forms.SpeechSearchForm", imports_of("api.views"))
