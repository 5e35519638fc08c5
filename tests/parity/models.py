from django.db import models


class Document(models.Model):
    """One document of the parity index: a value of each kind Haystack has a field for."""

    name = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    colour = models.CharField(max_length=20)
    party = models.CharField(max_length=40)
    text = models.TextField()
    num = models.IntegerField()
    price = models.FloatField()
    flag = models.BooleanField()
    day = models.DateField()
    moment = models.DateTimeField()
    tags = models.CharField(max_length=200)  # comma-separated: `tag_list`
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        app_label = "parity"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split(",") if self.tags else []

    @property
    def point(self):  # GeoDjango's Point, which Haystack's LocationField takes
        from django.contrib.gis.geos import Point

        return Point(self.longitude, self.latitude)
