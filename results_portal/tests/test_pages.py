import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_home_page_explains_the_service_and_offers_languages(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirmation of" in html
    assert '<label for="language-select">' in html
    assert 'lang="es"' in html and 'lang="zh-hans"' in html


def test_home_page_in_spanish(client: Client) -> None:
    response = client.get("/es/")

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    assert "Resultados de exámenes" in response.content.decode()


def test_language_switcher_remembers_the_choice(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/es/"


@override_settings(PASSWORD_HASHERS=["accounts.hashers.Argon2idOWASPHasher"])
def test_passwords_use_argon2id_with_owasp_minimum_parameters() -> None:
    encoded = make_password("correct horse battery staple")

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(encoded).algorithm == "argon2"


def test_admin_requires_a_totp_code(client: Client) -> None:
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()
