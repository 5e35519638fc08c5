from haystack import indexes

from debates.models import Speech


class SpeechIndex(indexes.SearchIndex, indexes.Indexable):
    """One document per speech.

    `text` is the speech itself (templates/search/indexes/debates/speech_text.txt), stemmed.
    `speaker` and `party` are searched by the `speaker:` and `party:` prefixes. The facet
    fields hold one exact value each (ids for members and debates, so that two members or
    debates with the same name stay apart); the search page turns ids back into names.
    Nothing is stored: results are loaded from the database.
    """

    text = indexes.CharField(document=True, use_template=True)
    speaker = indexes.CharField()
    party = indexes.CharField(faceted=True)
    member = indexes.FacetCharField()
    debate = indexes.FacetCharField()
    year = indexes.FacetCharField()
    house = indexes.FacetCharField(model_attr="debate__house")
    kind = indexes.FacetCharField(model_attr="debate__kind")
    date = indexes.DateField(model_attr="debate__date")

    def get_model(self):
        return Speech

    def prepare_speaker(self, speech):
        names = [speech.speaker_name, speech.speaker_role]
        if speech.member_id:
            names.append(speech.member.name)
        return " ".join(name for name in names if name)

    def prepare_party(self, speech):
        return speech.member.party if speech.member_id and speech.member.party else None

    def prepare_member(self, speech):
        return str(speech.member_id) if speech.member_id else None

    def prepare_debate(self, speech):
        return str(speech.debate_id)

    def prepare_year(self, speech):
        return str(speech.debate.date.year)

    def index_queryset(self, using=None):
        return Speech.objects.with_context().order_by("id")

    def read_queryset(self, using=None):
        """What search results load from the database: one query per page."""
        return Speech.objects.with_context()
