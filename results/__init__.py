"""Results: import, grading through ``grading/``, release within the window, emails, statistics."""
