"""Reading an uploaded CSV file in a form: the one place a page turns an upload into text (docs/domain.md §14.2)."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from results_portal.csvimport import CsvLimits, ImportRejected, stream_read


def csv_upload_text(upload: UploadedFile, *, limits: CsvLimits) -> str:
    """Return the text of an uploaded CSV file, or raise ``ValidationError`` saying why it cannot be read.

    A file larger than ``limits.max_bytes`` is refused before it is read; one that is not UTF-8 text or holds a
    control character such as NUL is refused with the line where that is (``csvimport.text_decode``), before
    anything is stored.
    """
    try:
        return stream_read(upload, limits=limits, size=upload.size)
    except ImportRejected as rejected:
        raise ValidationError(rejected.messages(), code="unreadable") from rejected
