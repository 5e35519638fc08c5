"""The read-only API. Debates and members read the database through the models' QuerySets;
`speeches/` searches through the search page's own form (`SpeechSearchForm`): one query
language, one set of facets."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from debates.models import Debate, Member, Speech
from search.forms import FACETS, RESULTS_PER_PAGE, SpeechSearchForm
from search.views import facet_labels

from . import serializers as api
from .filters import DebateFilter, MemberFilter

SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description='The search page\'s query language: words, "phrases", -exclusions, OR, '
        "speaker:, party:, title:, house:.",
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="On or after this day."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="On or before this day."),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=["", "newest", "oldest"]),
    OpenApiParameter("page", OpenApiTypes.INT, description=f"{RESULTS_PER_PAGE} per page."),
    *(
        OpenApiParameter(
            facet.name,
            OpenApiTypes.STR,
            many=True,
            explode=True,
            description=f"{facet.label}: repeat to select several (any of them).",
        )
        for facet in FACETS
    ),
]


class DebateViewSet(viewsets.ReadOnlyModelViewSet[Debate]):
    """Debates, oldest first; filter by dates, House and kind. One debate comes with its
    speeches in order."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = DebateFilter

    def get_queryset(self) -> QuerySet[Debate]:
        debates = Debate.objects.with_speech_counts().order_by("date", "id")
        if self.action == "retrieve":
            speeches = Speech.objects.select_related("member").order_by("position")
            debates = debates.prefetch_related(Prefetch("speeches", queryset=speeches))
        return debates

    def get_serializer_class(self) -> type[api.DebateSerializer]:
        return api.DebateDetailSerializer if self.action == "retrieve" else api.DebateSerializer


class MemberViewSet(viewsets.ReadOnlyModelViewSet[Member]):
    """Members, by surname, with how many speeches each gave; filter by House and party."""

    lookup_field = "slug"
    serializer_class = api.MemberSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MemberFilter

    def get_queryset(self) -> QuerySet[Member]:
        return Member.objects.with_speech_counts().order_by("sort_name", "name", "id")


SEARCH_PAGE = inline_serializer(
    "SpeechSearchPage",
    {
        "count": serializers.IntegerField(help_text="Speeches found in all."),
        "page": serializers.IntegerField(),
        "pages": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "query": api.SearchEchoSerializer(),
        "facets": serializers.DictField(child=api.FacetValueSerializer(many=True)),
        "results": api.SpeechSerializer(many=True),
    },
)


class SpeechViewSet(viewsets.ReadOnlyModelViewSet[Speech]):
    """Speeches: the list is a search, with the search page's parameters and its facet
    counts; one speech is read from the database."""

    serializer_class = api.SpeechSerializer

    def get_queryset(self) -> QuerySet[Speech]:
        return Speech.objects.with_context()

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SEARCH_PAGE)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = SpeechSearchForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(error) for error in errors] for name, errors in form.errors.items()}
            )
        asked = request.query_params.get("page", "1")
        if not asked.isdigit() or int(asked) < 1:
            raise ValidationError({"page": ["A page is a whole number from 1."]})
        outcome = form.search(page=asked)
        pages = max(1, -(-outcome.total // RESULTS_PER_PAGE))
        if int(asked) > pages:
            raise NotFound(f"Page {asked} is past the last page of results ({pages}).")
        speeches = [result.object for result in outcome.page if result.object is not None]
        labels = facet_labels(outcome.facet_counts, form.selections)
        facets = {
            facet.name: [
                {"value": value, "label": labels[facet.name].get(value, value), "count": count}
                for value, count in outcome.facet_counts.get(facet.name, [])
            ]
            for facet in FACETS
        }
        number = outcome.page_number
        return Response(
            {
                "count": outcome.total,
                "page": number,
                "pages": pages,
                "next": self._page_url(request, number + 1) if number < pages else None,
                "previous": self._page_url(request, number - 1) if number > 1 else None,
                "query": {
                    "q": form.cleaned_data["q"],
                    "filters": form.filters,
                    "sort": outcome.sort,
                    "notices": outcome.notices,
                    "suggestion": outcome.suggestion,
                    "site_url": self._site_url(request),
                },
                "facets": facets,
                "results": self.get_serializer(speeches, many=True).data,
            }
        )

    def _page_url(self, request: Request, number: int) -> str:
        query = request.query_params.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    def _site_url(self, request: Request) -> str:
        query = request.query_params.copy()
        query.pop("page", None)
        query.pop("format", None)
        return request.build_absolute_uri(f"{reverse('search:results')}?{query.urlencode()}")
