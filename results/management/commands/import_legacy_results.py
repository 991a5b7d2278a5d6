from results.legacy import legacy_results_import

from .import_results import Command as ResultsCommand


class Command(ResultsCommand):
    help = (
        "Import legacy results (ICFE, ILEC, Delta Module One, First before 2015) from a CSV file of raw paper marks "
        "(candidate_id,exam_code,session_date,component,score), weighted into an aggregate and graded with the "
        "session's thresholds. A bad file prints every bad line and writes nothing."
    )
    importer = staticmethod(legacy_results_import)
