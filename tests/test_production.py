"""Production: the settings with DEBUG off, the headers, the limits, the log and the health
check; in-process through the test client, and against a real gunicorn (tests/production.py)."""

import gzip
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from io import StringIO

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client, SimpleTestCase, TestCase, override_settings
from django.urls import path, reverse

from tests.broken import unopenable_index
from tests.factories import make_debate, make_member
from tests.production import ProductionServer

SECURE = {"X-Forwarded-Proto": "https"}


def run_settings(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` run after django.setup() with the production environment plus `env`."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "chamber.example",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


class DeploySettingsTests(SimpleTestCase):
    def check_deploy(self, **env: str) -> str:
        """What `check --deploy` says (warnings do not fail it here)."""
        result = run_settings(
            "from django.core.management import call_command\n"
            "call_command('check', '--deploy', '--fail-level', 'ERROR')",
            **env,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout + result.stderr

    def test_check_deploy_reports_nothing_with_https_on(self):
        said = self.check_deploy(HTTPS="1")
        self.assertIn("System check identified no issues (0 silenced).", said)
        self.assertNotIn("WARNINGS", said)

    def test_check_deploy_names_what_is_missing_without_https(self):
        said = self.check_deploy(HTTPS="0")
        for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
            self.assertIn(warning, said)

    def test_https_turns_on_hsts_the_redirect_and_secure_cookies(self):
        code = (
            "from django.conf import settings as s; import json\n"
            "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT,"
            " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, list(s.SECURE_PROXY_SSL_HEADER or []),"
            " s.STORAGES['staticfiles']['BACKEND']]))"
        )
        on = json.loads(run_settings(code, HTTPS="1").stdout)
        self.assertEqual(on[:5], [31536000, True, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]])
        self.assertEqual(on[5], "whitenoise.storage.CompressedManifestStaticFilesStorage")
        off = json.loads(run_settings(code, HTTPS="0").stdout)
        self.assertEqual(off[:5], [0, False, False, False, []])

    def test_sentry_is_set_up_only_with_a_dsn(self):
        code = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"
        with_dsn = run_settings(code, SENTRY_DSN="https://key@127.0.0.1:9/1")
        self.assertEqual(with_dsn.stdout.strip(), "True", with_dsn.stderr)
        self.assertEqual(run_settings(code, SENTRY_DSN="").stdout.strip(), "False")


def broken_view(request):
    raise RuntimeError("the record is on fire")


def unavailable_view(request):
    return HttpResponse("Down for maintenance", status=503)


urlpatterns = [path("broken/", broken_view), path("unavailable/", unavailable_view)]
handler500 = "config.views.server_error"


class HardeningTests(TestCase):
    def test_pages_carry_csp_nosniff_frame_options_and_a_request_id(self):
        response = self.client.get(reverse("debates:home"))
        csp = response.headers["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ):
            self.assertIn(directive, csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        self.assertRegex(response.headers["X-Request-ID"], r"^[0-9a-f]{32}$")

    def test_a_proxys_request_id_is_kept_and_junk_replaced(self):
        kept = self.client.get("/", headers={"X-Request-ID": "lb-1234abcd"})
        self.assertEqual(kept.headers["X-Request-ID"], "lb-1234abcd")
        junk = self.client.get("/", headers={"X-Request-ID": "<script>"})
        self.assertRegex(junk.headers["X-Request-ID"], r"^[0-9a-f]{32}$")

    def test_read_only_pages_refuse_other_methods_with_405_even_without_a_csrf_token(self):
        debate = make_debate(title="Gaza", speeches=1)
        member = make_member(name="Ann Example")
        client = Client(enforce_csrf_checks=True)
        urls = [
            "/",
            "/search/",
            "/debates/",
            "/debates/2024/",
            "/debates/2024/3/",
            "/debates/2024-03-26/",
            debate.get_absolute_url(),
            debate.speeches.get().get_absolute_url(),
            "/members/",
            member.get_absolute_url(),
            "/record/uk.org.publicwhip/debate/x",
            "/healthz",
        ]
        for url in urls:
            for method in ("post", "put", "delete", "patch"):
                with self.subTest(url=url, method=method):
                    response = getattr(client, method)(url)
                    self.assertEqual(response.status_code, 405)
                    self.assertEqual(response.headers["Allow"], "GET, HEAD")
            with self.subTest(url=url, method="head"):
                self.assertIn(client.head(url).status_code, (200, 404))

    def test_a_large_body_is_refused_before_it_is_read(self):
        response = self.client.generic(
            "POST", "/search/", b"q=x", CONTENT_TYPE="text/plain", CONTENT_LENGTH=str(100_000_000)
        )
        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "Request too large", status_code=413)
        self.assertContains(response, "100.0 MB", status_code=413)

    def test_the_upload_alone_may_send_a_large_body_within_its_own_limit(self):
        staff = User.objects.create_superuser("clerk", "clerk@example.com", "a long passphrase")
        self.client.force_login(staff)
        upload = reverse("admin:debates_sourcefile_upload")
        big = str(50_000_000)
        # Within CHAMBER_MAX_UPLOAD_MB the view answers (here: the form, for a body it
        # cannot read); above it, 413 before reading.
        within = self.client.generic(
            "POST", upload, b"", CONTENT_TYPE="text/plain", CONTENT_LENGTH=big
        )
        self.assertNotEqual(within.status_code, 413)
        over = str(settings.CHAMBER_MAX_UPLOAD_BYTES + 2_000_000)
        refused = self.client.generic(
            "POST", upload, b"", CONTENT_TYPE="text/plain", CONTENT_LENGTH=over
        )
        self.assertEqual(refused.status_code, 413)
        elsewhere = self.client.generic(
            "POST",
            reverse("admin:debates_speech_changelist"),
            b"",
            CONTENT_TYPE="text/plain",
            CONTENT_LENGTH=big,
        )
        self.assertEqual(elsewhere.status_code, 413)

    def test_the_admin_login_locks_a_user_and_address_out_after_repeated_failures(self):
        User.objects.create_superuser("clerk", "clerk@example.com", "the right passphrase")
        login = reverse("admin:login")
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = self.client.post(login, {"username": "clerk", "password": "guess"})
            self.assertEqual(response.status_code, 200)  # the form again, with its error
        locked = self.client.post(login, {"username": "clerk", "password": "guess"})
        self.assertEqual(locked.status_code, 429)
        self.assertContains(locked, "Too many attempts to log in", status_code=429)
        self.assertContains(locked, "15 minutes", status_code=429)
        # The right password is refused too while locked out...
        right = self.client.post(login, {"username": "clerk", "password": "the right passphrase"})
        self.assertEqual(right.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # ...from this address; the same user from another address may still log in.
        other = Client(REMOTE_ADDR="192.0.2.7")
        response = other.post(login, {"username": "clerk", "password": "the right passphrase"})
        self.assertEqual(response.status_code, 302)
        attempt = AccessAttempt.objects.get()
        self.assertEqual((attempt.username, attempt.ip_address), ("clerk", "127.0.0.1"))
        self.assertGreaterEqual(attempt.failures_since_start, settings.AXES_FAILURE_LIMIT)

    def test_a_trusted_proxys_forwarded_address_is_the_one_locked_out(self):
        from config.middleware import client_ip

        request = Client().get("/").wsgi_request
        request.META.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
        self.assertEqual(client_ip(request), "198.51.100.4")
        request.META.update(REMOTE_ADDR="203.0.113.9")  # not a trusted proxy: ignored
        self.assertEqual(client_ip(request), "203.0.113.9")

    def test_favicon_ico_leads_to_the_icon(self):
        response = self.client.get("/favicon.ico")
        self.assertRedirects(
            response, "/static/img/favicon.svg", status_code=301, fetch_redirect_response=False
        )

    def test_healthz_checks_the_database_and_the_index(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"], {"database": "ok", "index": "ok"})
        self.assertIn("no-store", response.headers["Cache-Control"])

    def test_healthz_is_503_when_the_index_cannot_open(self):
        with unopenable_index(), self.assertLogs("chamber.health", "ERROR") as logs:
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"], {"database": "ok", "index": "failing"})
        self.assertIn("Traceback", logs.output[0])

    def logged(self, path):
        """The response to `path` and the JSON lines written to stderr meanwhile."""
        handler = next(
            h for h in logging.getLogger("django.request").handlers if h.name == "stderr"
        )
        stream = StringIO()
        previous = handler.setStream(stream)
        try:
            response = Client(raise_request_exception=False).get(path)
        finally:
            handler.setStream(previous)
        return response, [json.loads(line) for line in stream.getvalue().splitlines()]

    @override_settings(ROOT_URLCONF=__name__)
    def test_an_error_response_logged_after_the_middleware_keeps_the_request_id(self):
        response, entries = self.logged("/unavailable/")
        self.assertEqual(response.status_code, 503)
        error = next(entry for entry in entries if entry["logger"] == "django.request")
        self.assertEqual(error["message"], "Service Unavailable: /unavailable/")
        self.assertEqual(error["request_id"], response.headers["X-Request-ID"])

    @override_settings(ROOT_URLCONF=__name__)
    def test_a_500_is_logged_as_json_with_its_traceback_and_request_id(self):
        response, entries = self.logged("/broken/")
        self.assertEqual(response.status_code, 500)
        request_id = response.headers["X-Request-ID"]
        self.assertContains(response, request_id, status_code=500)  # the page gives the reference
        error = next(entry for entry in entries if entry["logger"] == "django.request")
        self.assertEqual(error["level"], "ERROR")
        self.assertEqual(error["request_id"], request_id)
        self.assertIn("Traceback (most recent call last)", error["traceback"])
        self.assertIn("RuntimeError: the record is on fire", error["traceback"])
        line = next(entry for entry in entries if entry["logger"] == "chamber.request")
        self.assertEqual(
            (line["status"], line["path"], line["request_id"]), (500, "/broken/", request_id)
        )

    def test_requests_over_the_threshold_are_logged_as_slow(self):
        with override_settings(SLOW_REQUEST_MS=10**6), self.assertLogs("chamber.request") as fast:
            self.client.get("/")
        self.assertEqual(fast.records[0].levelname, "INFO")
        self.assertFalse(fast.records[0].slow)
        with override_settings(SLOW_REQUEST_MS=-1), self.assertLogs("chamber.request") as slow:
            self.client.get("/")
        self.assertEqual(slow.records[0].levelname, "WARNING")
        self.assertTrue(slow.records[0].slow)
        self.assertIn("(slow)", slow.records[0].getMessage())


class GunicornTests(SimpleTestCase):
    """`make serve`'s server, with HTTPS=1 behind a (pretend) proxy on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ProductionServer(HTTPS="1")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()

    def test_plain_http_is_redirected_to_https_but_the_health_check_answers(self):
        status, headers, _ = self.server.request("GET", "/search/?q=gaza")
        self.assertEqual(status, 301)
        self.assertEqual(
            headers["location"], f"https://127.0.0.1:{self.server.port}/search/?q=gaza"
        )
        status, _, body = self.server.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["checks"], {"database": "ok", "index": "ok"})

    def test_secure_pages_carry_hsts_csp_and_the_other_headers(self):
        status, headers, body = self.server.request("GET", "/", headers=SECURE)
        self.assertEqual(status, 200)
        self.assertIn(b"Israel and Gaza", body)
        self.assertEqual(
            headers["strict-transport-security"], "max-age=31536000; includeSubDomains; preload"
        )
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertEqual(headers["referrer-policy"], "same-origin")

    def test_static_files_are_served_hashed_compressed_and_cached_for_a_year(self):
        _, _, body = self.server.request("GET", "/", headers=SECURE)
        stylesheet = re.search(rb'href="(/static/css/base\.[0-9a-f]{12}\.css)"', body)
        self.assertIsNotNone(stylesheet, "the page links the hashed name")
        status, headers, css = self.server.request(
            "GET", stylesheet.group(1).decode(), headers={**SECURE, "Accept-Encoding": "gzip"}
        )
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertIn(b"--accent", gzip.decompress(css))
        self.assertIn("immutable", headers["cache-control"])
        self.assertIn("max-age=315360000", headers["cache-control"])
        status, _, plain = self.server.request("GET", "/static/css/base.css", headers=SECURE)
        self.assertEqual(status, 200)
        self.assertIn(b"--accent", plain)

    def test_read_only_pages_answer_405_and_big_bodies_413(self):
        status, headers, _ = self.server.request("POST", "/search/", body=b"q=x", headers=SECURE)
        self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))
        # Declared 100 MB, none sent: refused from the header, the body never read.
        status, _, _ = self.server.request(
            "POST", "/search/", headers={**SECURE, "Content-Length": "100000000"}
        )
        self.assertEqual(status, 413)

    def test_each_request_is_one_json_log_line_with_its_id_status_and_duration(self):
        status, headers, _ = self.server.request("GET", "/members/?page=abc", headers=SECURE)
        self.assertEqual(status, 200)
        request_id = headers["x-request-id"]
        lines = [e for e in self.server.log_entries() if e.get("request_id") == request_id]
        self.assertEqual(len(lines), 1, self.server.logs()[-2000:])
        line = lines[0]
        self.assertEqual(line["logger"], "chamber.request")
        self.assertEqual((line["method"], line["path"], line["status"]), ("GET", "/members/", 200))
        self.assertEqual(line["query"], "page=abc")
        self.assertIsInstance(line["duration_ms"], float)
        # gunicorn's own lines are JSON too.
        self.assertTrue(any(e["logger"] == "gunicorn.error" for e in self.server.log_entries()))
