"""Importers turn the bytes of a transcript into `ParsedTranscript` dataclasses.

They are pure: no Django, no database, no files. `detect.parse()` picks one by content;
`debates.ingest.loading` writes what they return.
"""
