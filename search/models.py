from django.db import models
from django.utils import timezone


class IndexTask(models.Model):
    """A speech whose search document the index owes: written in the same transaction as
    the change that made it so (search.indexing), deleted only after the index commit that
    covers it. Rows for the same speech may repeat; each is one change to deliver."""

    # Not a foreign key: the row must outlive a deleted speech, to remove its document.
    speech_id = models.BigIntegerField()
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "index queue entry"
        verbose_name_plural = "index queue"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"speech {self.speech_id}, queued {self.queued_at:%Y-%m-%d %H:%M:%S}"
