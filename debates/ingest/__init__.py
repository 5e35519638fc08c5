"""Ingestion: transcripts and member lists in, debates, speeches and members written.

Data flows one way, and each step lives in one module:

- `sources`: paths, folders, .zip archives and their manifest.json as `Transcript`s, for
  `manage.py load_transcripts` and the admin upload alike;
- `importers/`: pure parsers, bytes in and frozen dataclasses out (no Django);
- `speakers`: who spoke, the names printed resolved to members (reads only);
- `loading`: the one writer of debates and speeches, one transaction per load;
- `bulk`: many rows in one go, a COPY on PostgreSQL (`loading` writes a file's speeches so);
- `members`: the one writer of members, from the member lists;
- `staging`: the admin upload's preview, the bytes kept until the clerk confirms, and the
  confirmation.
"""
