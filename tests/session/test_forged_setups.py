"""Setup strings whose settings are too long or too deep for Python's own parsers (issue 19).

A setup passes its checksum whatever it holds, since anyone can compute one; what it holds must
still end in a SetupError, never in ValueError or RecursionError from json.
"""

import base64
import zlib

import pytest

from dropviz.session.setup_string import (
    CHECKSUM_BYTES,
    PREFIX,
    VERSION,
    ZDICT_V1,
    SetupError,
    _checksum,
    decode_setup,
)


def forged(raw: bytes) -> str:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=ZDICT_V1)
    body = bytes([VERSION]) + deflate.compress(raw) + deflate.flush()
    assert len(_checksum(body)) == CHECKSUM_BYTES
    return PREFIX + base64.urlsafe_b64encode(body + _checksum(body)).decode().rstrip("=")


@pytest.mark.parametrize("raw", [
    b'{"config": {"seed": ' + b"1" * 5001 + b"}}",
    b'{"config": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"config": {"dataset": {"label_column": ' + b"[" * 30 + b"]" * 30 + b"}}}",
    b'{"config": "\xff\xfe"}',
])
def test_settings_too_long_or_too_deep_are_a_setup_error(raw):
    with pytest.raises(SetupError, match="not a usable setup: its settings do not read"):
        decode_setup(forged(raw))


@pytest.mark.parametrize(("settings", "message"), [
    (b'{"dataset": {"label_column": 3}}', "dataset.label_column: 3 is not allowed"),
    (b'{"dataset": {"drop_bad_rows": "no"}}', "dataset.drop_bad_rows: 'no' is not allowed"),
    (b'{"seed": ' + b"9" * 400 + b"}", "seed: 9999"),
])
def test_settings_of_the_wrong_type_name_the_setting(settings, message):
    with pytest.raises(SetupError, match="the setup's settings are not usable") as caught:
        decode_setup(forged(b'{"config": ' + settings + b"}"))
    assert message in str(caught.value)
