from django.core.paginator import Paginator
from django.shortcuts import render

from .forms import SpeechSearchForm

RESULTS_PER_PAGE = 20


def results(request):
    form = SpeechSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = Paginator(form.search(), RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    status = 200 if form.is_valid() else 400
    return render(
        request, "search/search_results.html", {"form": form, "page": page}, status=status
    )
