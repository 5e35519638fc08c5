"""Chamber's Haystack engine on Xapian, built on xapian-haystack: one local database, or
shards served by `xapian-tcpsrv` on other machines and searched as one (README, "Scaling
out"). Configured as `search.xapian.Engine` (`SEARCH_ENGINE=xapian`, `XAPIAN_SHARDS`).
"""

from .engine import Engine, XapianSearchBackend

__all__ = ["Engine", "XapianSearchBackend"]
