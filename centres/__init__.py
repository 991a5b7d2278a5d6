"""Exam centres, their staff, their candidates and the candidates' entries (with login details)."""
