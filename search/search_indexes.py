from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from haystack import indexes
from haystack.constants import DJANGO_CT, DJANGO_ID, ID

from debates.models import Speech

# A speech's document, read as one row (`SpeechIndex.prepared_rows`).
ROW_FIELDS = (
    "id",
    "text",
    "speaker_name",
    "speaker_role",
    "section",
    "member_id",
    "member__name",
    "member__party",
    "debate_id",
    "debate__title",
    "debate__date",
    "debate__house",
    "debate__kind",
)


class SpeechIndex(indexes.SearchIndex, indexes.Indexable):  # type: ignore[misc]  # Haystack is untyped
    """One document per speech.

    `text` is the speech itself, stemmed.
    `speaker` (the name and office as printed, and the member's name), `party` and `title`
    (the debate's, and the section's within it) are searched by the `speaker:`, `party:`
    and `title:` prefixes. `speaker_auto` holds the member's name alone, cut into word
    prefixes, for the search box's member suggestions (`autocomplete()`). The facet fields
    hold one exact value each (ids for members and debates, so that two members or debates
    with the same name stay apart); the search page turns ids back into names. `month`
    ("2023-03") is counted by trends, not shown as a facet. Nothing is stored: results are
    loaded from the database.
    """

    text = indexes.CharField(document=True)
    speaker = indexes.CharField()
    speaker_auto = indexes.EdgeNgramField()
    title = indexes.CharField()
    party = indexes.CharField(faceted=True)
    member = indexes.FacetCharField()
    debate = indexes.FacetCharField()
    year = indexes.FacetCharField()
    month = indexes.FacetCharField()  # "2023-03": trends by month, counted like the year
    house = indexes.FacetCharField(model_attr="debate__house")
    kind = indexes.FacetCharField(model_attr="debate__kind")
    date = indexes.DateField(model_attr="debate__date")

    def get_model(self) -> type[Speech]:
        return Speech

    def prepare(self, speech: Speech) -> dict[str, Any]:
        """Every field in one step (Haystack's generic loop prepared each field twice, and
        a rebuild spends its time here and in the engine)."""
        debate, member = speech.debate, speech.member if speech.member_id else None
        row = (
            speech.pk,
            speech.text,
            speech.speaker_name,
            speech.speaker_role,
            speech.section,
            speech.member_id if member else None,
            member.name if member else None,
            member.party if member else None,
            debate.pk,
            debate.title,
            debate.date,
            debate.house,
            debate.kind,
        )
        self.prepared_data = self.prepare_row(row)
        return self.prepared_data

    def prepare_row(self, row: tuple[Any, ...]) -> dict[str, Any]:
        """The document of a speech given as a row of ROW_FIELDS: what `prepare` gives for
        the speech, without building its model instances (`prepared_rows`)."""
        (
            pk,
            text,
            name,
            role,
            section,
            member_id,
            member,
            party,
            debate_id,
            title,
            day,
            house,
            kind,
        ) = row
        party = party or None
        return {
            ID: f"debates.speech.{pk}",
            DJANGO_CT: "debates.speech",
            DJANGO_ID: str(pk),
            "text": text,
            "speaker": " ".join(part for part in (name, role, member) if part),
            "speaker_auto": member,
            "title": f"{title} {section}".strip(),
            "party": party,
            "party_exact": party,
            "member": str(member_id) if member_id is not None else None,
            "debate": str(debate_id),
            "year": str(day.year),
            "month": f"{day:%Y-%m}",
            "house": house,
            "kind": kind,
            "date": day,
        }

    def prepared_rows(
        self, using: str | None = None, batch: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """Every speech's document, read in batches by id as plain rows: a rebuild's reading
        (a third of the cost of model instances through `full_prepare`; the same
        documents, as tests/search/test_bulk_writes.py checks)."""
        rows = self.index_queryset(using=using).values_list(*ROW_FIELDS)
        # What `full_prepare` adds to `prepare`: fields that may be null are left out when
        # they are.
        nullable = [field.index_fieldname for field in self.fields.values() if field.null]
        last = 0
        while True:
            page = list(rows.filter(id__gt=last)[:batch])
            for row in page:
                document = self.prepare_row(row)
                for name in nullable:
                    if document[name] is None:
                        del document[name]
                yield document
            if len(page) < batch:
                return
            last = page[-1][0]

    def index_queryset(self, using: str | None = None) -> QuerySet[Speech]:
        return Speech.objects.with_context().order_by("id")

    def read_queryset(self, using: str | None = None) -> QuerySet[Speech]:
        """What search results load from the database: one query per page."""
        return Speech.objects.with_context()
