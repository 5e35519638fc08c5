"""Chamber without search (tests.search.test_queue): `debates` must load transcripts on its
own, its writers telling no one."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in {"haystack", "search"}]  # noqa: F405
