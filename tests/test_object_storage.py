"""STORAGE_URL=s3://…: rendered PDFs and centre results files in an S3 object store, exercised over HTTP.

moto's server mode answers the S3 API on 127.0.0.1 as a separate store would, so what is tested is the storage
the settings build from the URL (django-storages, boto3, real HTTP requests), not a mock of it. Nothing may be
written to MEDIA_ROOT, and every object is private and encrypted at rest.
"""

import datetime as dt
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from moto.server import ThreadedMotoServer

from centres.tests.test_results_files_reports import cashed_in
from centres.tests.test_unitised_pages import CENTRE_RELEASE, RESULTS_WEEK, World, build_world, url
from certificates.services import documents_render_for_results
from certificates.tests.conftest import _site_url  # noqa: F401 - autouse: SITE_URL as in the documents tests
from certificates.tests.factories import pdf_text, released_entry
from results.centre_files import results_files_latest, results_files_regenerate_all
from results.tests.factories import account_for
from results_portal.settings.base import object_storage

pytestmark = pytest.mark.django_db

BUCKET = "portal-files"
PREFIX = "results-day"
KEY, SECRET = "test-access-key", "test-secret/key+with=signs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, tmp_path: Path) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-2",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    secret = SECRET.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(
            f"s3://{KEY}:{secret}@{BUCKET}/{PREFIX}?endpoint_url={s3_endpoint}&region_name=eu-west-2"
            "&addressing_style=path&server_side_encryption=AES256"
        ),
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _media_files(settings: Any) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_statement_is_rendered_into_the_object_store_and_served_from_it(bucket: Any, settings: Any) -> None:
    entry, result = released_entry(first_name="Wei", last_name="Chen")
    client = Client()
    client.force_login(account_for(entry).user)  # type: ignore[arg-type]

    assert documents_render_for_results(result_ids=[result.pk]) > 0
    keys = _keys(bucket)
    response = client.get(f"/results/{entry.public_id}/statement.pdf")

    assert keys and all(key.startswith(f"{PREFIX}/") and key.endswith(".pdf") for key in keys)
    stored = bucket.head_object(Bucket=BUCKET, Key=keys[0])
    assert stored["ServerSideEncryption"] == "AES256"
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=keys[0])
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith("/AllUsers")], "never public"
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert "Wei Chen" in pdf_text(b"".join(response.streaming_content))  # type: ignore[arg-type]
    assert _media_files(settings) == [], "nothing is written to the local disk"


def test_centre_results_files_are_kept_in_the_object_store_one_day_at_a_time(
    bucket: Any, settings: Any, at: Callable[[dt.datetime], None]
) -> None:
    world: World = build_world()
    cashed_in(world)

    assert results_files_regenerate_all(now=CENTRE_RELEASE) == 1
    first_day = _keys(bucket)
    assert results_files_regenerate_all(now=CENTRE_RELEASE + dt.timedelta(days=1)) == 1
    second_day = _keys(bucket)

    assert len(first_day) == 2 and len(second_day) == 2 and not set(first_day) & set(second_day)
    assert all(world.second.candidate_id not in key and world.centre.number not in key for key in second_day)
    latest = results_files_latest(centre=world.centre, series=world.june)
    assert {stored.day for stored in latest.values()} == {(CENTRE_RELEASE + dt.timedelta(days=1)).date()}

    at(RESULTS_WEEK)
    download = world.client.get(url("files_unit", world))
    assert download.status_code == 200 and world.second.candidate_id.encode() in download.content
    assert _media_files(settings) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://files.example/bucket", "must look like s3://bucket/prefix"),
        ("s3:///prefix", "must look like s3://bucket/prefix"),
        ("s3://bucket?endpoint=http://x", "unknown option(s) endpoint"),
    ],
)
def test_a_storage_url_that_is_not_understood_stops_the_settings(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        object_storage(url)
