"""What the API says of a debate, a speech and a member: each with its address on the site
and its official reference where the record gives one."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from debates.choices import DebateKind, House
from debates.citations import cite
from debates.models import Debate, Member, Speech


def _absolute(serializer: serializers.BaseSerializer[Any], path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class MemberSummarySerializer(serializers.ModelSerializer[Member]):
    url = serializers.SerializerMethodField(help_text="The member's page on the site.")
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["slug", "name", "party", "constituency", "url", "api_url"]

    def get_url(self, member: Member) -> str:
        return _absolute(self, member.get_absolute_url())

    def get_api_url(self, member: Member) -> str:
        return _absolute(self, reverse("api:member-detail", kwargs={"slug": member.slug}))


class MemberSerializer(MemberSummarySerializer):
    house = serializers.ChoiceField(choices=House.choices)
    speech_count = serializers.IntegerField(read_only=True)
    speeches_api_url = serializers.SerializerMethodField(
        help_text="Their speeches, newest first, through the search endpoint."
    )

    class Meta(MemberSummarySerializer.Meta):
        fields = [
            *MemberSummarySerializer.Meta.fields,
            "sort_name",
            "house",
            "start_date",
            "end_date",
            "speech_count",
            "speeches_api_url",
        ]

    def get_speeches_api_url(self, member: Member) -> str:
        return _absolute(self, f"{reverse('api:speech-list')}?member={member.pk}&sort=newest")


class DebateSummarySerializer(serializers.ModelSerializer[Debate]):
    house = serializers.ChoiceField(choices=House.choices)
    kind = serializers.ChoiceField(choices=DebateKind.choices)
    url = serializers.SerializerMethodField(help_text="The debate's page on the site.")
    api_url = serializers.SerializerMethodField()
    official_reference = serializers.SerializerMethodField(
        help_text="The record's own id for the debate (e.g. a ParlParse id), or null."
    )
    citation = serializers.CharField(read_only=True, help_text='e.g. "HC Deb 28 March 2023".')

    class Meta:
        model = Debate
        fields = [
            "id",
            "title",
            "date",
            "house",
            "kind",
            "url",
            "api_url",
            "official_reference",
            "citation",
        ]

    def get_url(self, debate: Debate) -> str:
        return _absolute(self, debate.get_absolute_url())

    def get_api_url(self, debate: Debate) -> str:
        return _absolute(self, reverse("api:debate-detail", kwargs={"pk": debate.pk}))

    def get_official_reference(self, debate: Debate) -> str | None:
        return debate.source_reference or None


class DebateSerializer(DebateSummarySerializer):
    speech_count = serializers.IntegerField(read_only=True)

    class Meta(DebateSummarySerializer.Meta):
        fields = [*DebateSummarySerializer.Meta.fields, "speech_count"]


class CitationSerializer(serializers.Serializer[Any]):
    short = serializers.CharField(help_text='The official form: "HC Deb 28 March 2023, col 859".')
    oscola = serializers.CharField()
    bibtex = serializers.CharField()
    column = serializers.CharField(help_text='"859", "123WH", or "" when not known.')


class SpeechSerializer(serializers.ModelSerializer[Speech]):
    debate = DebateSummarySerializer(read_only=True)
    member = MemberSummarySerializer(read_only=True, allow_null=True)
    speaker = serializers.CharField(
        source="display_speaker", help_text="Who spoke, as the site names them."
    )
    party = serializers.SerializerMethodField()
    constituency = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The speech's page on the site.")
    debate_url = serializers.SerializerMethodField(help_text="The speech in place in its debate.")
    api_url = serializers.SerializerMethodField()
    official_reference = serializers.SerializerMethodField(
        help_text="The record's own id for the speech (e.g. a ParlParse id), or null."
    )
    citation = serializers.SerializerMethodField()

    class Meta:
        model = Speech
        fields = [
            "id",
            "position",
            "debate",
            "section",
            "speaker",
            "speaker_name",
            "speaker_role",
            "member",
            "party",
            "constituency",
            "kind",
            "text",
            "url",
            "debate_url",
            "api_url",
            "official_reference",
            "citation",
        ]

    def get_party(self, speech: Speech) -> str:
        return speech.member.party if speech.member else speech.speaker_party

    def get_constituency(self, speech: Speech) -> str:
        return speech.member.constituency if speech.member else speech.speaker_constituency

    def get_url(self, speech: Speech) -> str:
        return _absolute(self, speech.get_absolute_url())

    def get_debate_url(self, speech: Speech) -> str:
        return _absolute(self, speech.get_debate_url())

    def get_api_url(self, speech: Speech) -> str:
        return _absolute(self, reverse("api:speech-detail", kwargs={"pk": speech.pk}))

    def get_official_reference(self, speech: Speech) -> str | None:
        return speech.source_reference or None

    @extend_schema_field(CitationSerializer)
    def get_citation(self, speech: Speech) -> dict[str, str]:
        found = cite(speech, self.get_debate_url(speech))
        return {
            "short": found.short,
            "oscola": found.oscola,
            "bibtex": found.bibtex,
            "column": found.column,
        }


class SpeechInDebateSerializer(SpeechSerializer):
    """A speech within its debate's answer: the debate is said once, above."""

    class Meta(SpeechSerializer.Meta):
        fields = [name for name in SpeechSerializer.Meta.fields if name != "debate"]


class DebateDetailSerializer(DebateSerializer):
    speeches = SpeechInDebateSerializer(many=True, read_only=True)

    class Meta(DebateSerializer.Meta):
        fields = [*DebateSerializer.Meta.fields, "speeches"]


class FacetValueSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="What to pass back as the facet's parameter.")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    count = serializers.IntegerField()


class SearchEchoSerializer(serializers.Serializer[Any]):
    q = serializers.CharField()
    filters = serializers.DictField(child=serializers.JSONField())
    sort = serializers.CharField()
    notices = serializers.ListField(child=serializers.CharField())
    suggestion = serializers.CharField()
    site_url = serializers.CharField(help_text="The same search on the site.")
