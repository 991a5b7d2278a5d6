"""Candidate accounts: registration with Candidate ID + secret number, login, password reset, dashboard."""
