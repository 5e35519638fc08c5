"""Regenerate fixtures/members/people_2009-10-26.xml: the persons of ParlParse's people file
(fixtures/members/people_2015-04.xml.gz, 3.7 MB unzipped) whose member ids speak in the
26 October 2009 fixture days, copied as they are. PEOPLE_FILE may be gzipped or not.

    .venv/bin/python bench/people_subset.py [PEOPLE_FILE]
"""

import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ROOT / "fixtures" / "members" / "people_2015-04.xml.gz"
DAYS = sorted((ROOT / "fixtures" / "transcripts" / "parlparse").glob("debates2009-10-26*.xml"))
OUT = ROOT / "fixtures" / "members" / "people_2009-10-26.xml"


def main(people: Path = PEOPLE) -> None:
    speakers = set()
    for day in DAYS:
        speakers |= set(re.findall(rb'speakerid="([^"]+)"', day.read_bytes()))
    text = people.read_bytes()
    if people.suffix == ".gz":
        text, people = gzip.decompress(text), people.with_suffix("")
    persons = re.findall(rb"<person .*?</person>\n", text, re.S)
    kept = [
        person for person in persons if speakers & set(re.findall(rb'<office id="([^"]+)"', person))
    ]
    header = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b"<!-- A subset of ParlParse's " + people.name.encode() + b": the persons who speak in "
        b"fixtures/transcripts/parlparse/debates2009-10-26*.xml, made by bench/people_subset.py."
        b" Contains Parliamentary information licensed under the Open Parliament Licence v3.0."
        b" -->\n<publicwhip>\n"
    )
    OUT.write_bytes(header + b"".join(kept) + b"</publicwhip>\n")
    unknown = speakers - {m for p in kept for m in re.findall(rb'<office id="([^"]+)"', p)}
    print(f"{OUT.relative_to(ROOT)}: {len(kept)} of {len(persons)} persons", end="")
    print(f"; ids with no person: {sorted(u.decode() for u in unknown)}" if unknown else "")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PEOPLE)
