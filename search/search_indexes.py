from typing import Any

from django.db.models import QuerySet
from haystack import indexes
from haystack.constants import DJANGO_CT, DJANGO_ID, ID

from debates.models import Speech


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
        a rebuild spends its time here and in Whoosh)."""
        debate, member = speech.debate, speech.member if speech.member_id else None
        party = member.party if member and member.party else None
        self.prepared_data = {
            ID: f"debates.speech.{speech.pk}",
            DJANGO_CT: "debates.speech",
            DJANGO_ID: str(speech.pk),
            "text": speech.text,
            "speaker": self.prepare_speaker(speech),
            "speaker_auto": member.name if member else None,
            "title": f"{debate.title} {speech.section}".strip(),
            "party": party,
            "party_exact": party,
            "member": str(speech.member_id) if member else None,
            "debate": str(debate.pk),
            "year": str(debate.date.year),
            "month": f"{debate.date:%Y-%m}",
            "house": debate.house,
            "kind": debate.kind,
            "date": debate.date,
        }
        return self.prepared_data

    def prepare_speaker(self, speech: Speech) -> str:
        names = [speech.speaker_name, speech.speaker_role]
        if speech.member_id:
            assert speech.member is not None  # its id is set
            names.append(speech.member.name)
        return " ".join(name for name in names if name)

    def index_queryset(self, using: str | None = None) -> QuerySet[Speech]:
        return Speech.objects.with_context().order_by("id")

    def read_queryset(self, using: str | None = None) -> QuerySet[Speech]:
        """What search results load from the database: one query per page."""
        return Speech.objects.with_context()
