"""Hostile text fields, and query and path parameters of the wrong type or range."""

from __future__ import annotations

from typing import Any

import pytest

from tests.images import jpeg
from tests.security.conftest import NAMES, Api, assert_json_error, assert_nothing_stored


def upload(api: Api, **fields: Any) -> Any:
    files = {"file": ("p.jpg", jpeg(), "image/jpeg")}
    return api.client.post("/upload", headers=api.auth, data={**NAMES, **fields}, files=files)


BAD_NAMES = {
    "empty": "",
    "whitespace": " \t  ",
    "101 characters": "x" * 101,
    "bell": "Eve\x07",
    "CR/LF header injection": "Eve\r\nSet-Cookie: session=stolen",
    "LF": "Eve\nMallory",
    "NUL": "Eve\x00",
    "DEL": "Eve\x7f",
    "C1 control (NEL)": "E\x85ve",
    "line separator": "Eve\u2028Mallory",
    "bidi override": "\u202eevE",
    "bidi isolate": "Eve\u2066x",
    "escape sequence": "\x1b[31mEve",
}


class TestTextFields:
    @pytest.mark.parametrize("field", ["first_name", "last_name", "animal_name"])
    @pytest.mark.parametrize("kind", list(BAD_NAMES))
    def test_bad_names_are_422_naming_the_field(self, api: Api, field: str, kind: str) -> None:
        """Empty, long, control-character and bidi-override names are refused; nothing stored."""
        response = upload(api, **{field: BAD_NAMES[kind]})
        assert_json_error(response, 422)
        assert response.json()["detail"].startswith(f"{field}:")
        assert_nothing_stored(api)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("qr_content", ""),
            ("qr_content", "q" * 501),
            ("qr_content", "https://x/p/abc\r\nLocation: evil"),
            ("animal_type", "dragon"),
            ("animal_type", "dog\x00"),
            ("animal_type", "dog; DROP TABLE jobs"),
            ("animal_type", "\u217eog"),  # a Roman numeral that looks like d
            ("broken_bone", "maybe"),
            ("broken_bone", "2"),
            ("broken_bone", "truee"),
            ("broken_bone", "\x00"),
            ("broken_bone", "true\r\nX: y"),
        ],
    )
    def test_other_bad_fields_are_422_naming_the_field(
        self, api: Api, field: str, value: str
    ) -> None:
        """Bad QR texts, unknown animal types and non-booleans are refused; nothing stored."""
        response = upload(api, **{field: value})
        assert_json_error(response, 422)
        assert response.json()["detail"].startswith(f"{field}:")
        assert_nothing_stored(api)

    def test_a_file_in_place_of_a_name_is_422(self, api: Api) -> None:
        """Sending a name as a file part is refused, naming the field."""
        files = {"file": ("p.jpg", jpeg(), "image/jpeg"), "first_name": ("n.txt", b"Eve")}
        data = {k: v for k, v in NAMES.items() if k != "first_name"}
        response = api.client.post("/upload", headers=api.auth, data=data, files=files)
        assert_json_error(response, 422)
        assert response.json()["detail"].startswith("first_name:")
        assert_nothing_stored(api)

    @pytest.mark.parametrize(
        "name",
        ["x" * 100, "👩‍👩‍👧 Family", "Zoë O'Brien-Łukasz", "Анна", "李小龍", "\u00a0Bob\u00a0"],
    )
    def test_unusual_but_fine_names_are_accepted(self, api: Api, name: str) -> None:
        """Long-but-allowed names, emoji with joiners and any script are kept."""
        response = upload(api, first_name=name)
        assert response.status_code == 200, response.text
        metadata = api.client.get("/results", headers=api.auth).json()["metadata"]
        assert metadata[str(response.json()["job_id"])]["first_name"] == name.strip()


# Not integers. ("1e3" and "1.0" are read as 1000 and 1: msgspec's lax parsing of numbers.)
NUMBERS = ["abc", "-1", "1.5", "", "0x10", "٣", "9" * 40, " 5", "5 ", "+5", "NaN", "%00", "1_0"]


def assert_all_4xx(api: Api, urls: list[str], auth: bool = True) -> None:
    for url in urls:
        response = api.client.get(url, headers=api.auth if auth else {})
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), url
        assert response.json()["status_code"] == response.status_code, url


class TestParameters:
    def test_confirm_parameters(self, api: Api) -> None:
        """Every bad image_id, choice or confirm value of /confirm is a JSON 4xx."""
        ok = {"image_id": "1", "choice": "0", "confirm": "confirm"}
        values = {
            "image_id": NUMBERS,
            "choice": [*NUMBERS, "1001"],
            "confirm": ["CONFIRM", "", "confirm%00", "yes", "1", "confirm%20", "confirm%0d%0a"],
        }
        urls = ["/confirm", "/confirm?image_id=1", "/confirm?image_id=1&confirm=confirm&choice=0"]
        for name, bad in values.items():
            for value in bad:
                query = "&".join(f"{k}={value if k == name else v}" for k, v in ok.items())
                urls.append(f"/confirm?{query}")
        assert_all_4xx(api, urls)
        assert_nothing_stored(api)

    def test_qr_count(self, api: Api) -> None:
        """Every bad n of /qr (type, sign, range, overflow) is a JSON 4xx and starts nothing."""
        urls = [
            "/qr",
            *(f"/qr?n={n}" for n in [*NUMBERS, "0", "1001", "2147483648", "-2147483649"]),
        ]
        assert_all_4xx(api, urls)
        assert api.client.get("/qr/progress", headers=api.auth).json() == {"progress": 0.0}

    def test_result_image_path(self, api: Api) -> None:
        """Bad job ids and options of /results/{job_id}/{option} are JSON 4xx."""
        job_id = upload(api).json()["job_id"]
        urls = [f"/results/{bad}/original" for bad in NUMBERS if bad.strip() and bad != "%00"]
        urls += [
            f"/results/{job_id}/{option}"
            for option in [
                "x" * 21,
                "..%2F..%2Fsecret.key",
                "%00",
                "-1",
                "99",
                "original%0a",
                "ORIGINAL",
                "1.0",
            ]
        ]
        urls.append("/results/99999/original")
        assert_all_4xx(api, urls)

    def test_carousel_index(self, api: Api) -> None:
        """Bad carousel indexes are JSON 4xx, with no token needed to ask."""
        urls = [f"/carousel/{index}" for index in NUMBERS if index.strip()]
        urls += ["/carousel/0", "/carousel/1.0", "/carousel/..%2F..%2Fsecret.key"]
        assert_all_4xx(api, urls, auth=False)
