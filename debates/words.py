"""How counts and sizes read in what Chamber prints: "1 speech", "2,431 speeches", "1.2 MB".

Pure (no Django): the importers use it as well as the commands, the admin and the pages (as
the template filters `plural`, `noun` and `size`, in `debates.templatetags.chamber`).
"""

# Words whose plural is not the word and an "s".
_PLURALS = {"speech": "speeches"}


def noun(count: int, word: str) -> str:
    """`word`, plural unless the count is one: noun(2, "speech") is "speeches"."""
    return word if count == 1 else _PLURALS.get(word, f"{word}s")


def plural(count: int, word: str) -> str:
    """The count and its noun: plural(2431, "speech") is "2,431 speeches"."""
    return f"{count:,} {noun(count, word)}"


def size(size: int) -> str:
    """A size in bytes as a person reads it: "240 bytes", "12.5 kB", "1.2 MB" (SI units,
    as the limits in settings are given)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:,.1f} MB"
    return f"{size / 1_000:,.1f} kB" if size >= 1_000 else f"{size:,} bytes"
