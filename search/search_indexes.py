from haystack import indexes

from debates.models import Speech


class SpeechIndex(indexes.SearchIndex, indexes.Indexable):
    """One document per speech. Its text (templates/search/indexes/debates/speech_text.txt)
    holds the speech, its speaker and its debate's title, so that all three are searched."""

    text = indexes.CharField(document=True, use_template=True)
    speaker = indexes.CharField()
    debate_title = indexes.CharField(model_attr="debate__title")
    date = indexes.DateField(model_attr="debate__date")
    house = indexes.CharField(model_attr="debate__house")

    def get_model(self):
        return Speech

    def prepare_speaker(self, speech):
        return speech.speaker_name or (speech.member.name if speech.member_id else "")

    def index_queryset(self, using=None):
        return Speech.objects.with_context()

    def read_queryset(self, using=None):
        """What search results load from the database: one query per page."""
        return Speech.objects.with_context()
