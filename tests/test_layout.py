"""The house's rules, read from the code's own imports: data flows one way, and no module
climbs back up to one that uses it (docs/architecture.md draws it)."""

import ast
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)


def imports_of(module: str) -> set[str]:
    """The project modules (config, debates, search) that `module` imports, resolved."""
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


PROJECT = {"config", "debates", "search"}


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
        # (search.indexing is the one arrow across today: the writers tell the index; the
        # admin's edits tell it through debates.signals, which search subscribes to.)
        self.assertImportsOnly(
            "debates.ingest",
            (
                "debates.choices",
                "debates.words",
                "debates.models",
                "debates.signals",
                "search.indexing",
            ),
        )

    def test_search_reads_the_models_but_not_ingestion_or_the_admin(self):
        # debates.signals: search subscribes to what the writers say they changed.
        self.assertImportsOnly("search", ("debates.choices", "debates.models", "debates.signals"))

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
        self.assertIn("search.indexing", imports_of("debates.ingest.loading"))
