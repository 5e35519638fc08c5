"""A search index that cannot be opened, for tests of how pages fail."""

import contextlib
import os
from collections.abc import Iterator

from haystack import connections


@contextlib.contextmanager
def unopenable_index() -> Iterator[None]:
    """The default connection pointed, for the block, at an index folder below a plain
    file (so it can be neither opened nor created); put back afterwards."""
    info = connections.connections_info["default"]
    path = info["PATH"]
    blocker = os.path.join(path, "not-a-folder")
    with open(blocker, "w") as file:
        file.write("a file where the index folder should be")
    info["PATH"] = os.path.join(blocker, "index")
    connections.reload("default")
    try:
        yield
    finally:
        info["PATH"] = path
        connections.reload("default")
        os.remove(blocker)
