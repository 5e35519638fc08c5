"""How long the admin's "Upload transcripts" takes: the preview and the confirmation.

    .venv/bin/python bench/upload.py [--repeats 3]

Posts real transcripts through the admin pages with Django's test client, as a logged-in
superuser, into a temporary SQLite database (or DATABASE_URL, which is flushed) with a
temporary Whoosh index: a 1 MB ParlParse sitting day, and a .zip of several files. The
preview reads, parses, resolves speakers, compares with the database and keeps the bytes;
the confirmation plans again from the kept bytes, loads in one transaction and writes the
search index. Each case starts from an empty database; the figures are medians of
--repeats runs. Nothing here is a test: it prints figures.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "fixtures" / "transcripts"
DAY = TRANSCRIPTS / "parlparse" / "debates2023-03-28d.xml"
ZIPPED = [
    TRANSCRIPTS / "parlparse" / "debates2009-10-26a.xml",
    TRANSCRIPTS / "parlparse" / "debates2009-10-26b.xml",
    TRANSCRIPTS / "hansard_text" / "hansard_style_commons_2023-03-28.txt",
    TRANSCRIPTS / "akomantoso" / "Debate_Bungeni_1995-10-31.xml",
    ROOT / "fixtures" / "seeds" / "000_9ca9d066f0ebde3b.txt",
    ROOT / "fixtures" / "seeds" / "001_c1147e2eaee32068.txt",
    ROOT / "fixtures" / "seeds" / "manifest.json",
]


def zipped(paths) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="chamber-bench-upload-")
    os.environ["CHAMBER_UPLOAD_DIR"] = f"{workdir}/uploads"
    sys.path.insert(0, str(ROOT))
    from bench.browse import start_django

    start_django(workdir)
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from haystack import connections

    from debates.models import Speech

    upload_url = reverse("admin:debates_sourcefile_upload")
    confirm_url = reverse("admin:debates_sourcefile_upload_confirm")

    cases = [
        (f"ParlParse day ({DAY.name})", DAY.name, DAY.read_bytes()),
        (f".zip of {len(ZIPPED) - 1} files + manifest", "several.zip", zipped(ZIPPED)),
        (".zip of the 2 plain-text seeds + manifest", "seeds.zip", zipped(ZIPPED[-3:])),
    ]
    print(f"{'upload':<44} {'size':>9} {'speeches':>9} {'preview':>10} {'confirm':>10}")
    for label, name, raw in cases:
        previews, confirms, speeches = [], [], 0
        for _ in range(options.repeats):
            error = ""
            call_command("flush", interactive=False, verbosity=0)
            connections["default"].get_backend().clear()
            clerk = User.objects.create_superuser("bench", "bench@example.org", "bench")
            client = Client()
            client.force_login(clerk)  # (login() would meet the admin's login throttling)

            started = time.perf_counter()
            response = client.post(upload_url, {"files": [SimpleUploadedFile(name, raw)]})
            previews.append(time.perf_counter() - started)
            if "preview" not in response.context or response.context["preview"].errors:
                error = "; ".join(response.context["form"].errors.get("files", ["refused"]))
                break
            token = response.context["form"]["token"].value()

            started = time.perf_counter()
            response = client.post(confirm_url, {"token": token, "load": "1"})
            confirms.append(time.perf_counter() - started)
            if "confirmed" not in response.context:
                raise SystemExit(f"{label}: the confirmation failed ({response.status_code})")
            speeches = Speech.objects.count()
        if error:
            print(f"{label:<44} {len(raw) / 1_000_000:>7.2f}MB  refused: {error[:200]}")
            continue
        print(
            f"{label:<44} {len(raw) / 1_000_000:>7.2f}MB {speeches:>9,}"
            f" {statistics.median(previews) * 1000:>8.0f}ms"
            f" {statistics.median(confirms) * 1000:>8.0f}ms"
        )
    print(f"median of {options.repeats} runs; {connection.vendor}")


if __name__ == "__main__":
    main()
