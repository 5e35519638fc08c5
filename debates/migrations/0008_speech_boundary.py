from django.db import migrations, models


def mark_plain_text_inferred(apps, schema_editor):
    """Speeches loaded from plain text before this field: their edges were inferred."""
    Speech = apps.get_model("debates", "Speech")
    Speech.objects.filter(debate__source_file__format="plaintext").update(boundary="inferred")


class Migration(migrations.Migration):
    dependencies = [
        ("debates", "0007_speech_section"),
    ]

    operations = [
        migrations.AddField(
            model_name="speech",
            name="boundary",
            field=models.CharField(
                choices=[
                    ("recorded", "Recorded"),
                    ("inferred", "Inferred from the text"),
                    ("edited", "Set by an editor"),
                ],
                default="recorded",
                help_text="Where the speech's edges come from: the record, the text (inferred"
                " from an unlabelled transcript) or an editor (merged or split in the admin).",
                max_length=20,
            ),
        ),
        migrations.RunPython(mark_plain_text_inferred, migrations.RunPython.noop),
    ]
