"""The portal's date formats, one per language (``FORMAT_MODULE_PATH``).

English is the board's: British, day before month ("6 October 2026", short "06/10/2026"), whatever the browser
says; Django's own formats for ``en`` are American ("Oct. 6, 2026", "10/06/2026"). Spanish and Simplified Chinese
keep Django's formats ("6 de octubre de 2026", "2026年10月6日"). Every page, PDF and email formats a date with
these names (``DATE_FORMAT``, ``SHORT_DATE_FORMAT``, ``DATETIME_FORMAT``, ``YEAR_MONTH_FORMAT``…), never a
pattern of its own.
"""
