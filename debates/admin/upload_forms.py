"""Forms of the admin's "Upload transcripts" pages (see `debates.ingest.staging`)."""

from django import forms
from django.conf import settings

from ..choices import DebateKind, House
from ..ingest import sources, staging
from ..ingest.importers.transcript import DebateMetadata
from ..words import size

SKIP, REPLACE = "skip", "replace"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; cleaned into `sources.Transcript`s by the form."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class UploadForm(forms.Form):
    # A field, not BaseForm.files: the form's metaclass moves it to base_fields.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Transcript files or a .zip",
        allow_empty_file=True,  # the preview says which file is empty, by name
        help_text=(
            "ParlParse or Akoma Ntoso XML, Hansard text or plain text; several at once, or a"
            " .zip of them (with a manifest.json for plain text, if you like)."
        ),
    )
    title = forms.CharField(
        required=False,
        max_length=500,
        help_text="For files that carry no title (plain text does not).",
    )
    date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For files that carry no date, as YYYY-MM-DD.",
    )
    house = forms.ChoiceField(
        required=False,
        choices=[("", "As the file says (House of Commons if it says nothing)"), *House.choices],
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "As the file says (Debate if it says nothing)"), *DebateKind.choices],
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.CHAMBER_MAX_UPLOAD_FILES
        if len(files) > limit:
            raise forms.ValidationError(f"{len(files):,} files: choose at most {limit:,} at once.")
        read = []
        for file in files:
            if file.size > _size_limit(file):
                raise forms.ValidationError(
                    f"{file.name}: the file is {size(file.size)}, over the limit"
                    f" of {size(_size_limit(file))}."
                )
            read.append((file.name, file.read()))
        try:
            return sources.from_uploads(read)
        except sources.SourceError as error:
            raise forms.ValidationError(str(error)) from None

    def metadata(self) -> DebateMetadata:
        data = self.cleaned_data
        return DebateMetadata(
            title=data["title"].strip(), date=data["date"], house=data["house"], kind=data["kind"]
        )

    def add_preview_errors(self, preview: staging.Preview) -> None:
        """Each file that cannot be loaded, under the files field; what plain text lacks,
        under the title and date fields."""
        for error in preview.errors:
            self.add_error("files", error)
        for name, files in preview.missing.items():
            self.add_error(
                name,
                f"Give the {name}: {', '.join(files)} {'is' if len(files) == 1 else 'are'}"
                f" plain text, which carries no {name}.",
            )


def _size_limit(file) -> int:
    is_zip = file.name.lower().endswith(".zip")
    return settings.CHAMBER_MAX_UPLOAD_BYTES if is_zip else settings.CHAMBER_MAX_TRANSCRIPT_BYTES


class ConfirmForm(forms.Form):
    """The staged upload's token, and for each file that repeats a loaded debate, a choice."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, preview: staging.Preview, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = preview
        for position in preview.choices_needed:
            plan = preview.plans[position]
            self.fields[f"choice_{position}"] = forms.ChoiceField(
                label=f"{plan.name} repeats what is loaded",
                choices=[
                    (SKIP, "Skip this file: keep what is loaded"),
                    (REPLACE, "Replace what is loaded with this file"),
                ],
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose whether to skip {plan.name} or replace what is loaded."
                },
            )

    def choice_field(self, position: int):
        return self[f"choice_{position}"]

    def chosen(self, choice: str) -> set[str]:
        return {
            self.preview.plans[position].name
            for position in self.preview.choices_needed
            if self.cleaned_data.get(f"choice_{position}") == choice
        }
