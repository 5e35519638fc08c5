"""What `debates` tells the rest of the site about its writes.

`speeches_changed` is sent inside the transaction of a write that changes what a speech's
search document holds, or removes it: the ids of speeches added, edited or deleted
(`speech_ids`). Bulk writes (`bulk_create`, `QuerySet.update` and `.delete`) send no model
signals, so the writers in `debates.ingest` and `debates.admin` send this one with the
ids they touched. `search` subscribes (`SearchConfig.ready`); `debates` never imports it.
"""

from django.dispatch import Signal

speeches_changed = Signal()  # sender: the writer's model class; speech_ids: Iterable[int]
