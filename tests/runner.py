"""The test runner: Django's, with a real search index (of the engine SEARCH_ENGINE names)
in a temporary directory."""

import logging
import shutil
import tempfile

from django.conf import settings
from django.test.runner import DiscoverRunner
from django.test.utils import override_settings
from haystack import connections


class ChamberTestRunner(DiscoverRunner):
    def setup_test_environment(self, **kwargs):
        super().setup_test_environment(**kwargs)
        # The parity tests' model (tests/parity) exists only in tests: installed before the
        # tests are found and the test database is created, so that its table is made.
        self.test_apps = override_settings(
            INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.parity"]
        )
        self.test_apps.enable()
        self.index_path = tempfile.mkdtemp(prefix=f"chamber-{settings.SEARCH_ENGINE}-")
        settings.HAYSTACK_CONNECTIONS["default"]["PATH"] = self.index_path
        connections.connections_info["default"]["PATH"] = self.index_path
        connections.reload("default")
        # One log line per request would bury the test output: only slow requests and
        # errors are shown (tests that read the request log use assertLogs).
        logging.getLogger("chamber.request").setLevel(logging.WARNING)
        logging.getLogger("axes").setLevel(logging.ERROR)  # the lockout tests' warnings

    def teardown_test_environment(self, **kwargs):
        shutil.rmtree(self.index_path, ignore_errors=True)
        self.test_apps.disable()
        super().teardown_test_environment(**kwargs)
