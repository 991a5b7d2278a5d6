"""The candidates' password-reset request does the same work for registered and unknown Candidate IDs."""

from unittest import mock

import pytest
from django.test import Client

from centres.tests.factories import EntryFactory
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


def test_registered_and_unknown_ids_queue_the_same_task_and_hash_nothing(client: Client) -> None:
    entry = EntryFactory()
    account_for(entry)

    with (
        mock.patch("candidates.tasks.password_reset_send.delay") as queued,
        mock.patch("django.contrib.auth.hashers.make_password", side_effect=AssertionError("hashed")),
    ):
        known = client.post("/results/password-reset/", {"candidate_id": entry.candidate_id.lower()})
        unknown = client.post("/results/password-reset/", {"candidate_id": "ZZZ999999"})

    assert known.status_code == unknown.status_code == 200
    assert [call.kwargs["candidate_id"] for call in queued.call_args_list] == [entry.candidate_id, "ZZZ999999"]
