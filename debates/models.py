"""What Chamber keeps: source files as given, debates, their speeches and the members who gave
them. The choices of the fields (House, DebateKind, SpeechKind, IdentifierScheme) are defined
in `debates.choices`; only `debates.ingest` writes these rows (and the admin, by hand)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property

from .choices import DebateKind, House, IdentifierScheme, SpeakerStatus, SpeechBoundary, SpeechKind


class SourceFile(models.Model):
    """A file as it was given to us: the raw bytes are kept in the database so that they are
    written (or rolled back) in the same transaction as the debates parsed from them."""

    name = models.CharField(max_length=255, help_text="File name as uploaded or loaded.")
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=32, help_text="Format detected when it was loaded.")
    raw = models.BinaryField()
    series = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,  # finding the other versions of a record being loaded
        help_text="A record issued in versions, e.g. ParlParse's Commons debates of one day.",
    )
    version = models.CharField(
        max_length=20, blank=True, help_text="Within its series; the highest version is current."
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self):
        return f"{self.name} ({self.sha256[:12]})"

    def get_absolute_url(self) -> str:
        return reverse("debates:source-file", kwargs={"sha256": self.sha256})


class MemberQuerySet(models.QuerySet):
    def with_speech_counts(self) -> "MemberQuerySet":
        return self.annotate(speech_count=models.Count("speeches"))


class Member(models.Model):
    name = models.CharField(max_length=200, help_text='As usually printed, e.g. "Andrew Mitchell".')
    sort_name = models.CharField(max_length=200, help_text='e.g. "Mitchell, Andrew".')
    slug = models.SlugField(max_length=200, unique=True)
    party = models.CharField(max_length=100, blank=True)
    constituency = models.CharField(max_length=200, blank=True)
    house = models.CharField(max_length=20, choices=House.choices, default=House.COMMONS)
    start_date = models.DateField(null=True, blank=True, help_text="Start of service, if known.")
    end_date = models.DateField(null=True, blank=True, help_text="End of service, if known.")

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "name"]
        indexes = [
            # The members list is ordered by sort name.
            models.Index(fields=["sort_name", "name"], name="member_sort_name_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("debates:member", kwargs={"slug": self.slug})


class MemberIdentifier(models.Model):
    """An id a source gives a member: a ParlParse person or member id, an MNIS id, ...
    Importers resolve speakers through these, so one person may carry several."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=32, choices=IdentifierScheme.choices)
    value = models.CharField(max_length=200)
    # A ParlParse member id names one seat-term: its dates tell `debates.ingest.members` which term
    # is the latest, whatever order the lists are loaded in.
    start_date = models.DateField(null=True, blank=True, help_text="Start of the term it names.")
    end_date = models.DateField(null=True, blank=True, help_text="End of the term it names.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="member_identifier_unique"),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} {self.value}"


class DebateQuerySet(models.QuerySet):
    def on_date(self, date):
        return self.filter(date=date)

    def in_month(self, year, month):
        return self.filter(date__year=year, date__month=month)

    def with_speech_counts(self) -> "DebateQuerySet":
        return self.annotate(speech_count=models.Count("speeches"))

    def with_last_position(self):
        """`last_position`: the position of each debate's last speech (the debate page's
        number of pages), read from the (debate, position) index in the same query."""
        last = Speech.objects.filter(debate=models.OuterRef("pk")).order_by("-position")
        return self.annotate(last_position=models.Subquery(last.values("position")[:1]))

    def sitting_before(self, date):
        """The last date before `date` with a debate, or None."""
        return self.filter(date__lt=date).order_by("-date").values_list("date", flat=True).first()

    def sitting_after(self, date):
        """The first date after `date` with a debate, or None."""
        return self.filter(date__gt=date).order_by("date").values_list("date", flat=True).first()

    def latest_first(self):
        return self.order_by("-date", "-id")


class Debate(models.Model):
    title = models.CharField(max_length=500)
    date = models.DateField()
    house = models.CharField(max_length=20, choices=House.choices, default=House.COMMONS)
    kind = models.CharField(max_length=30, choices=DebateKind.choices, default=DebateKind.DEBATE)
    slug = models.SlugField(max_length=200)
    source_reference = models.CharField(
        max_length=500, blank=True, help_text="Official id or URL of the record, where known."
    )
    source_file = models.ForeignKey(
        SourceFile, on_delete=models.PROTECT, null=True, blank=True, related_name="debates"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DebateQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            # The debate URL is /debates/<date>/<slug>/.
            models.UniqueConstraint(fields=["date", "slug"], name="debate_date_slug_unique"),
        ]
        indexes = [
            # Home page (latest debates), archive months and previous/next navigation.
            models.Index(fields=["-date", "-id"], name="debate_latest_idx"),
            # Loading finds a debate loaded already by its official id; so does /record/.
            models.Index(fields=["source_reference"], name="debate_source_reference_idx"),
        ]

    def __str__(self):
        return f"{self.title} ({self.date:%d %B %Y})"

    def get_absolute_url(self) -> str:
        return reverse("debates:detail", kwargs={"date": self.date, "slug": self.slug})

    @staticmethod
    def speeches_per_page() -> int:
        """A debate of thousands of speeches is read in pages of this many, by position:
        speech n is always on page (n - 1) // per page + 1, so every link can say where."""
        return settings.CHAMBER_DEBATE_PAGE_SPEECHES

    @classmethod
    def page_of(cls, position: int) -> int:
        """The page of the debate that holds the speech at `position`."""
        return max(1, (position - 1) // cls.speeches_per_page() + 1)

    def get_page_url(self, page: int) -> str:
        url = self.get_absolute_url()
        return url if page <= 1 else f"{url}?page={page}"

    @property
    def citation(self):
        """The official style, e.g. "HC Deb 26 March 2024"."""
        house = House.of(self.house)
        prefix = house.citation_prefix if house else ""
        day = f"{self.date.day} {self.date:%B %Y}"
        return f"{prefix} Deb {day}" if prefix else f"{self.get_house_display()}, {day}"

    def get_previous(self):
        return (
            Debate.objects.filter(
                models.Q(date__lt=self.date) | models.Q(date=self.date, id__lt=self.id)
            )
            .order_by("-date", "-id")
            .first()
        )

    def get_next(self):
        return (
            Debate.objects.filter(
                models.Q(date__gt=self.date) | models.Q(date=self.date, id__gt=self.id)
            )
            .order_by("date", "id")
            .first()
        )


class SpeechQuerySet(models.QuerySet):
    def with_context(self) -> "SpeechQuerySet":
        """What a speech needs to be shown outside its debate page, in one query."""
        return self.select_related("debate", "member")

    def newest_first(self):
        return self.order_by("-debate__date", "-debate_id", "-position")


class Speech(models.Model):
    """One turn of speaking. `text` keeps the structure of the record: paragraphs are
    separated by a blank line and each sentence is on a line of its own, so that every
    sentence can be addressed (see `paragraphs` and `sentences`)."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="speeches")
    position = models.PositiveIntegerField(help_text="Order within the debate, from 1.")
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="speeches",
        db_index=False,  # covered by speech_member_debate_idx
    )
    speaker_name = models.CharField(
        max_length=300, blank=True, help_text="As printed; empty when the record names nobody."
    )
    speaker_role = models.CharField(
        max_length=300, blank=True, help_text='Office as printed, e.g. "The Minister of State".'
    )
    speaker_constituency = models.CharField(
        max_length=200, blank=True, help_text="As printed beside the name, if at all."
    )
    speaker_party = models.CharField(
        max_length=100, blank=True, help_text='As printed beside the name, e.g. "Con".'
    )
    member_ref = models.CharField(
        max_length=200,
        blank=True,
        help_text='The id the record gives the speaker ("scheme:value"): speeches loaded before'
        " their member resolve when members are loaded.",
    )
    kind = models.CharField(max_length=20, choices=SpeechKind.choices, default=SpeechKind.SPEECH)
    boundary = models.CharField(
        max_length=20,
        choices=SpeechBoundary.choices,
        default=SpeechBoundary.RECORDED,
        help_text="Where the speech's edges come from: the record, the text (inferred"
        " from an unlabelled transcript) or an editor (merged or split in the admin).",
    )
    heading = models.CharField(
        max_length=500, blank=True, help_text="A section heading printed before this speech."
    )
    section = models.CharField(
        max_length=500,
        blank=True,
        help_text="The section the speech is in: the last heading at or before it.",
    )
    source_reference = models.CharField(
        max_length=500, blank=True, help_text="The record's own id for this speech, if any."
    )
    text = models.TextField()

    objects = SpeechQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "speeches"
        ordering = ["debate", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "position"], name="speech_debate_position_unique"
            ),
        ]
        indexes = [
            # The member page (a member's speeches) and the members list (speech counts).
            models.Index(fields=["member", "debate"], name="speech_member_debate_idx"),
            # /record/<official id>/ finds a speech by the id its record gives it.
            models.Index(fields=["source_reference"], name="speech_source_reference_idx"),
        ]

    def __str__(self):
        return f"{self.debate.title} #{self.position}"

    def get_absolute_url(self) -> str:
        return reverse(
            "debates:speech",
            kwargs={"date": self.debate.date, "slug": self.debate.slug, "position": self.position},
        )

    @property
    def anchor(self):
        return f"s{self.position}"

    def get_debate_url(self) -> str:
        """The speech in place in its debate, on the page that holds it."""
        return f"{self.debate.get_page_url(Debate.page_of(self.position))}#{self.anchor}"

    @staticmethod
    def part_of(sentence: int) -> int:
        """The part of a very long speech that holds its sentence number `sentence`: the
        debate page shows part 1, the speech's own page any part (`?part=2`)."""
        return max(1, (sentence - 1) // settings.CHAMBER_SPEECH_PART_SENTENCES + 1)

    def get_sentence_url(self, sentence: int, query: str = "") -> str:
        """Where sentence number `sentence` is read: in the debate page when it is in the
        speech's first part, else on the speech's own page, at its part. `query` is added
        (e.g. "highlight=gaza")."""
        part = Speech.part_of(sentence)
        if part == 1:
            page = Debate.page_of(self.position)
            params = "&".join(p for p in (f"page={page}" if page > 1 else "", query) if p)
            url = self.debate.get_absolute_url()
        else:
            params = "&".join(p for p in (f"part={part}", query) if p)
            url = self.get_absolute_url()
        return f"{url}{'?' if params else ''}{params}#{self.anchor}-{sentence}"

    @cached_property
    def paragraphs(self) -> list[list[str]]:
        return [para.splitlines() for para in self.text.split("\n\n") if para.strip()]

    @cached_property
    def numbered_paragraphs(self) -> list[list[tuple[int, str]]]:
        """Paragraphs of (sentence number, sentence); numbers run from 1 through the speech."""
        numbered, n = [], 0
        for paragraph in self.paragraphs:
            row = []
            for sentence in paragraph:
                n += 1
                row.append((n, sentence))
            numbered.append(row)
        return numbered

    @property
    def parts(self) -> int:
        """How many parts the speech is read in (1 unless it is very long)."""
        last = self.numbered_paragraphs[-1][-1][0] if self.numbered_paragraphs else 0
        return Speech.part_of(last) if last else 1

    @property
    def sentences(self) -> list[str]:
        return [sentence for paragraph in self.paragraphs for sentence in paragraph]

    @property
    def speaker_status(self) -> SpeakerStatus:
        """How the record names who spoke (the debate page shows each its own way)."""
        if self.member_id:
            return SpeakerStatus.MEMBER
        if self.speaker_name or self.speaker_role:
            return SpeakerStatus.PRINTED
        return SpeakerStatus.UNRECORDED if self.kind == SpeechKind.SPEECH else SpeakerStatus.RECORD

    @property
    def display_speaker(self) -> str:
        """Who spoke, as the pages say it: "Andrew Mitchell", "The Minister of State",
        "Division", "speaker not recorded"."""
        status = self.speaker_status
        if status == SpeakerStatus.MEMBER:
            assert self.member is not None  # speaker_status saw its id
            return self.member.name
        if status == SpeakerStatus.PRINTED:
            return self.speaker_name or self.speaker_role
        return self.get_kind_display() if status == SpeakerStatus.RECORD else "speaker not recorded"
