from django import template
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from debates import signals, words

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


# How counts and sizes read (debates.words), as on the command line:
# {{ n|plural:"speech" }} is "2 speeches", {{ n|noun:"speech" }} "speeches", {{ b|size }} "1.2 MB".
register.filter("plural", words.plural)
register.filter("noun", words.noun)
register.filter("size", words.size)


@register.inclusion_tag("admin/debates/_status.html")
def write_status():
    """What follows the writes (the search index) says of how far behind it is, for the
    admin: one module each. Nothing when no app follows them."""
    return {"notices": signals.status(sender=None)}


@register.simple_tag
def speech_text(speech, highlighter=None, part=1, cite=False) -> SafeString:
    """A speech's paragraphs, each sentence in a span with its anchor and link (#s2-3), the
    words of a search marked by `highlighter` (anything with `.mark(text)`, see
    search.snippets); with `cite`, each sentence's number links to its citation (the speech
    page's ?sentence=3#cite). Built here rather than in a template loop: a page of a few
    hundred speeches holds thousands of sentences, and the loop cost most of its time."""
    anchor, position = speech.anchor, speech.position
    in_part = f"part={part}&amp;" if part > 1 else ""

    def link(number):
        if cite:
            return (
                f'href="?{in_part}sentence={number}#cite" title="Cite this sentence"'
                f' aria-label="Cite sentence {number} of speech {position}"'
            )
        return (
            f'href="#{anchor}-{number}" title="Link to this sentence"'
            f' aria-label="Sentence {number} of speech {position}"'
        )

    size = settings.CHAMBER_SPEECH_PART_SENTENCES
    first, last = (part - 1) * size + 1, part * size  # a very long speech is read in parts
    paragraphs = []
    for whole in speech.numbered_paragraphs:
        if whole[-1][0] < first or whole[0][0] > last:
            continue
        paragraph = [(number, sentence) for number, sentence in whole if first <= number <= last]
        sentences = [
            f'<span class="sentence" id="{anchor}-{number}"><a class="sentence__link"'
            f" {link(number)}>{number}</a>"
            f" {highlighter.mark(sentence) if highlighter else escape(sentence)}</span>"
            for number, sentence in paragraph
        ]
        paragraphs.append(f"<p>{' '.join(sentences)}</p>")
    return mark_safe("\n".join(paragraphs))  # every piece of text above is escaped
