"""English (United Kingdom) formats for the ``en`` language: the board is in the UK (see the package docstring)."""

DATE_FORMAT = "j F Y"  # 6 October 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j F Y, H:i"  # 6 October 2026, 14:30
YEAR_MONTH_FORMAT = "F Y"  # October 2026
MONTH_DAY_FORMAT = "j F"  # 6 October
SHORT_DATE_FORMAT = "d/m/Y"  # 06/10/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 06/10/2026 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

# Forms read a typed date day first (the ISO forms, 2026-10-06, are always accepted as well).
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%y %H:%M"]
