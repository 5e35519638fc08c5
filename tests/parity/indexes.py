"""The parity index: one Haystack field of each kind over `Document`.

Deliberately not in a module named `search_indexes`, so that Haystack's discovery never
adds it to the site's own connection: only the parity tests' connections use it.

`LocationField` takes GeoDjango's `Point`, which needs the GDAL and GEOS libraries
(`make geo` installs Debian's). Whoosh has no geometry: both engines index a location as
its text ("lat,lon") and take no spatial lookups.
"""

import datetime
from typing import Any

from django.utils import timezone
from haystack import indexes

from .models import Document

FIELD_BOOST = 10.0  # the `title` field's boost (tests.search.test_parity, test_field_boost)


class ParityIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True, model_attr="text")
    name = indexes.CharField(model_attr="name")
    title = indexes.CharField(model_attr="title", boost=FIELD_BOOST)
    colour = indexes.CharField(model_attr="colour", faceted=True)
    party = indexes.CharField(model_attr="party", faceted=True)
    num = indexes.IntegerField(model_attr="num", faceted=True)
    price = indexes.FloatField(model_attr="price", faceted=True)
    flag = indexes.BooleanField(model_attr="flag")
    day = indexes.DateField(model_attr="day", faceted=True)
    moment = indexes.DateTimeField(faceted=True)
    tags = indexes.MultiValueField(model_attr="tag_list", faceted=True)
    name_auto = indexes.EdgeNgramField(model_attr="name")
    title_ngram = indexes.NgramField(model_attr="title")
    location = indexes.LocationField(model_attr="point")

    def get_model(self) -> type[Document]:
        return Document

    def prepare_moment(self, document: Document) -> Any:
        # Whoosh keeps a datetime's wall time and drops its zone, and Haystack's query
        # builder writes a datetime's wall time: the index holds UTC wall times, and the
        # tests query with naive UTC datetimes.
        return timezone.make_naive(document.moment, datetime.UTC)
