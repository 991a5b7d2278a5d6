"""The live progress bar's figures, shared by the centre imports and the organisations' bulk checks."""


def progress_percent(*, done: int, total: int, succeeded: bool) -> int:
    """Return the bar's percentage: 100 only for a job that succeeded, never for one rejected or failed.

    A rejected import has read every line (``done == total``) and imported nothing; a running job that has read
    its last line is still writing. Neither is "100 %": both stay below it, and the page shows a rejected or
    failed job's outcome without a bar (templates/includes/progress.html).
    """
    if succeeded:
        return 100
    if not total:
        return 0
    return min(99, round(100 * done / total))
