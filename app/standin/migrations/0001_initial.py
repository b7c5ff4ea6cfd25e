from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ReleaseMark",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("release", models.CharField(max_length=200)),
                ("applied_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
