from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cbnet.assessments.services.questionnaires import (
    DATA_DIR,
    QuestionnaireDataError,
    load_seeded_questionnaires,
)


class Command(BaseCommand):
    help = (
        "Load the seeded questionnaires from cbnet/assessments/data/*.json (the diagnostic "
        "self-assessment, TFA readiness). Safe to run again: unchanged files change nothing; "
        "a changed file updates its latest version, or makes a new version if a round uses it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Where the files are.")

    def handle(self, *args, **options):
        try:
            result = load_seeded_questionnaires(data_dir=Path(options["data_dir"]))
        except QuestionnaireDataError as error:
            raise CommandError(str(error)) from None
        if not result:
            self.stdout.write("No questionnaire files found.")
        for code, status in result.items():
            self.stdout.write(f"{code}: {status}")
