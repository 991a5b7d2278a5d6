"""Exams, their components or units, exam sessions and their results release windows."""
