"""Importers turn the bytes of a transcript into `ParsedTranscript` dataclasses.

They are pure: no Django, no database, no files. `detect.parse()` picks one by content;
`debates.loading` writes what they return.
"""
