"""Browsing: the home page, the archive by year, month and day, debates, speeches, members,
official ids (/record/...) and the raw source files (staff only). Views only read; queries
live on the models' QuerySets."""

import calendar
import datetime
from itertools import groupby

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from .charts import line_chart
from .citations import cite
from .models import Debate, Member, SourceFile, Speech
from .words import plural

LATEST_DEBATES = 10
SPEECHES_PER_PAGE = 20
MEMBERS_PER_PAGE = 100
MEMBER_TOP_DEBATES = 10


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def home(request):
    debates = Debate.objects.all()
    counts = {
        "debates": debates.count(),
        "sitting_days": debates.values("date").distinct().count(),
        "speeches": Speech.objects.count(),
        "members": Member.objects.count(),
    }
    latest = debates.latest_first().with_speech_counts()[:LATEST_DEBATES]
    return render(request, "debates/home.html", {"counts": counts, "latest": latest})


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def archive(request):
    """Every year and month that has a sitting, with its number of debates."""
    return render(request, "debates/debate_archive.html", {"years": _years(Debate.objects.all())})


@method_decorator(csrf_exempt, name="dispatch")  # read only, as the views below
class SittingPeriodView(TemplateView):
    """A period of the archive (a year, a month, a day) and links to the nearest periods
    before and after it in which the House sat. Subclasses say what the period is."""

    pager_label = ""
    http_method_names = ["get", "head"]  # read only: anything else is 405

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day of the period; Http404 if there is no such period."""
        raise NotImplementedError

    def contents(self) -> dict:
        """What the page shows of the period; Http404 if nothing is recorded in it."""
        raise NotImplementedError

    def link(self, date: datetime.date) -> tuple[str, str]:
        """The (url, text) of the period that holds `date`."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        first, last = self.period()
        contents = self.contents()
        before, after = Debate.objects.sitting_before(first), Debate.objects.sitting_after(last)
        pager = _pager(self.pager_label, before and self.link(before), after and self.link(after))
        return super().get_context_data(**{**kwargs, **contents, "first": first, "pager": pager})


class YearView(SittingPeriodView):
    template_name = "debates/debate_year.html"
    pager_label = "Years with debates"

    def period(self):
        year = self.kwargs["year"]
        if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
            raise Http404("There is no such year.")
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)

    def contents(self):
        years = _years(Debate.objects.filter(date__year=self.kwargs["year"]))
        if not years:
            raise Http404(f"Nothing is recorded for {self.kwargs['year']}.")
        return {"year": years[0]}

    def link(self, date):
        return reverse("debates:year", kwargs={"year": date.year}), str(date.year)


class MonthView(SittingPeriodView):
    template_name = "debates/debate_month.html"
    pager_label = "Months with debates"

    def period(self):
        year, month = self.kwargs["year"], self.kwargs["month"]
        if not (1 <= month <= 12 and datetime.MINYEAR < year < datetime.MAXYEAR):
            raise Http404("There is no such month.")
        first = datetime.date(year, month, 1)
        return first, first.replace(day=calendar.monthrange(year, month)[1])

    def contents(self):
        debates = Debate.objects.in_month(self.kwargs["year"], self.kwargs["month"])
        debates = debates.with_speech_counts().order_by("date", "id")
        return {"days": [(day, list(rows)) for day, rows in groupby(debates, key=lambda d: d.date)]}

    def link(self, date):
        url = reverse("debates:month", kwargs={"year": date.year, "month": date.month})
        return url, f"{date:%B %Y}"


class DayView(SittingPeriodView):
    template_name = "debates/debate_day.html"
    pager_label = "Sitting days"

    def period(self):
        return self.kwargs["date"], self.kwargs["date"]

    def contents(self):
        date = self.kwargs["date"]
        debates = list(Debate.objects.on_date(date).with_speech_counts().order_by("id"))
        if not debates:
            raise Http404(f"Nothing is recorded for {date.day} {date:%B %Y}.")
        return {"date": date, "debates": debates}

    def link(self, date):
        return reverse("debates:day", kwargs={"date": date}), _long_date(date)


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def debate_detail(request, date, slug):
    # The source file's name and address, not its bytes (a sitting day is about 1 MB).
    debates = Debate.objects.select_related("source_file").defer("source_file__raw")
    debate = get_object_or_404(debates.with_last_position(), date=date, slug=slug)
    # Pages hold a range of positions (Debate.page_of), so anchors land on a known page.
    last = debate.last_position or 0
    paginator = Paginator(range(1, last + 1), Debate.speeches_per_page())
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404(f"This debate has {plural(paginator.num_pages, 'page')}.") from None
    positions = page.object_list
    speeches = list(
        debate.speeches.filter(position__gte=positions.start, position__lt=positions.stop)
        .select_related("member")
        .order_by("position")
    )
    if paginator.num_pages > 1:  # the contents list the sections of every page
        headings = debate.speeches.exclude(heading="").order_by("position")
        rows = headings.values_list("position", "heading")
    else:
        rows = [(speech.position, speech.heading) for speech in speeches if speech.heading]

    # On one page a section is an anchor; across pages, the page's address and the anchor.
    def section_url(position):
        address = debate.get_page_url(Debate.page_of(position)) if paginator.num_pages > 1 else ""
        return f"{address}#s{position}-section"

    sections = [{"url": section_url(p), "heading": heading} for p, heading in rows]
    before, after = debate.get_previous(), debate.get_next()
    context = {
        "debate": debate,
        "speeches": speeches,
        "page": page,
        "canonical": debate.get_page_url(page.number),
        "part_sentences": settings.CHAMBER_SPEECH_PART_SENTENCES,
        # Section headings (h2) put the speakers' headings a level down.
        "sections": sections,
        "speaker_level": 3 if sections else 2,
        "pager": _pager(
            "Debates",
            before and (before.get_absolute_url(), f"{before.title}, {_long_date(before.date)}"),
            after and (after.get_absolute_url(), f"{after.title}, {_long_date(after.date)}"),
        ),
    }
    return render(request, "debates/debate_detail.html", context)


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def speech_detail(request, date, slug, position):
    speech = get_object_or_404(
        Speech.objects.with_context(), debate__date=date, debate__slug=slug, position=position
    )
    debate = speech.debate
    positions = set(
        debate.speeches.filter(position__in=[position - 1, position + 1]).values_list(
            "position", flat=True
        )
    )

    def url(position):
        kwargs = {"date": debate.date, "slug": debate.slug, "position": position}
        return reverse("debates:speech", kwargs=kwargs)

    parts = Paginator(range(speech.parts), 1)  # a very long speech is read in parts
    try:
        part = parts.page(request.GET.get("part") or 1)
    except InvalidPage:
        raise Http404(f"This speech has {plural(parts.num_pages, 'part')}.") from None
    # ?sentence=3 cites the third sentence (the sentence numbers on this page link there).
    sentence = request.GET.get("sentence")
    place = speech.get_debate_url()  # on the debate's page that holds it
    if sentence is not None:
        if not sentence.isdigit() or not 1 <= int(sentence) <= len(speech.sentences):
            raise Http404(f"This speech has no sentence {sentence[:20]!r}.")
        place = speech.get_sentence_url(int(sentence))
    citation = cite(speech, request.build_absolute_uri(place))
    context = {
        "speech": speech,
        "debate": debate,
        "part": part,
        "part_sentences": settings.CHAMBER_SPEECH_PART_SENTENCES,
        "sentence": sentence and int(sentence),
        "cite_heading": f"Cite sentence {int(sentence)}" if sentence else "Cite this speech",
        "citation": citation,
        "citation_forms": [
            ("short", "Official form", citation.short, 1),
            ("oscola", "OSCOLA", citation.oscola, 2),
            ("bibtex", "BibTeX", citation.bibtex, citation.bibtex.count("\n") + 1),
        ],
        "pager": _pager(
            "Speeches in this debate",
            position - 1 in positions and (url(position - 1), "Previous speech"),
            position + 1 in positions and (url(position + 1), "Next speech"),
        ),
    }
    return render(request, "debates/speech_detail.html", context)


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def record(request, reference):
    """The speech or debate an official id names, by a permanent redirect: ids outlive our
    URLs (a debate renamed gets a new slug; its id stays)."""
    speech = Speech.objects.with_context().filter(source_reference=reference).first()
    if speech:
        return redirect(speech.get_debate_url(), permanent=True)
    debate = Debate.objects.filter(source_reference=reference).first()
    if debate:
        return redirect(debate, permanent=True)
    raise Http404(f"No speech or debate has the id {reference!r}.")


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def member_list(request):
    members = Member.objects.with_speech_counts().order_by("sort_name", "name")
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "debates/member_list.html", {"page": page})


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def member_detail(request, slug):
    member = get_object_or_404(Member, slug=slug)
    speeches = Speech.objects.filter(member=member).with_context().newest_first()
    page = Paginator(speeches, SPEECHES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"member": member, "page": page, **_activity(member)}
    return render(request, "debates/member_detail.html", context)


def _activity(member):
    """A member's speeches per month (one GROUP BY, every month from the first to the last
    at zero or more) and the debates they spoke in most."""
    rows = (
        Speech.objects.filter(member=member)
        .annotate(month=TruncMonth("debate__date"))
        .values("month")
        .annotate(speeches=Count("id"))
        .order_by("month")
    )
    counts = {f"{row['month']:%Y-%m}": row["speeches"] for row in rows}
    months = []
    if counts:
        first, last = (datetime.date.fromisoformat(f"{m}-01") for m in (min(counts), max(counts)))
        while first <= last:
            months.append(f"{first:%Y-%m}")
            first = (first + datetime.timedelta(days=32)).replace(day=1)
    top = (
        Debate.objects.filter(speeches__member=member)
        .annotate(speeches_by_member=Count("speeches"))
        .order_by("-speeches_by_member", "-date", "-id")[:MEMBER_TOP_DEBATES]
    )
    activity = [(month, counts.get(month, 0)) for month in months]
    return {
        "activity": activity,
        "activity_chart": line_chart(months, [("Speeches", [n for _, n in activity])])
        if months
        else None,
        "top_debates": top,
    }


def _years(debates):
    """Years, newest first, each with its months: number of sitting days and of debates."""
    months = (
        debates.annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("year", "month")
        .annotate(debates=Count("id"), days=Count("date", distinct=True))
        .order_by("-year", "-month")
    )
    return [
        {
            "year": year,
            "months": [{**row, "first": datetime.date(year, row["month"], 1)} for row in rows],
        }
        for year, rows in groupby(months, key=lambda row: row["year"])
    ]


def _pager(label, previous, following):
    """Previous/next links for `_pager.html`: each a (url, text) pair or a false value."""
    return {"label": label, "previous": previous or None, "next": following or None}


def _long_date(date):
    return f"{date:%A} {date.day} {date:%B %Y}"


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
@staff_member_required
def source_file(request, sha256):
    source = get_object_or_404(SourceFile, sha256=sha256)
    response = HttpResponse(bytes(source.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, source.name)
    return response
