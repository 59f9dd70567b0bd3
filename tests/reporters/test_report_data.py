"""The message templates of the report's data block: lossless for any message and name (a property
test), and small where messages differ only by the resource they name."""

from __future__ import annotations

import json
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.reporters.report_data import LITERAL, decode_message, encode_message, json_block

names = st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=4).map("/".join)


@given(message=st.text(max_size=80), name=names)
def test_any_message_decodes_to_itself(message: str, name: str) -> None:
    assert decode_message(encode_message(message, name), name) == message


@given(name=names, data=st.data())
def test_messages_built_from_the_name_decode_to_themselves(name: str, data: st.DataObject) -> None:
    parts = [p for p in name.split("/") if p] or ["x"]
    words = data.draw(st.lists(st.sampled_from([*parts, " ", "pool", "-", "1.27", "\x01"]), max_size=20))
    message = "".join(words)
    assert decode_message(encode_message(message, name), name) == message


def test_one_template_serves_every_cluster() -> None:
    templates = {
        encode_message(f"Node pool pool{p} of cluster aks-{c:05d} runs 1.27.", f"aks-{c:05d}/pool{p}")
        for c in range(200)
        for p in range(4)
    }
    assert templates == {"Node pool \x02 of cluster \x01 runs 1.27."}


def test_a_message_holding_a_token_is_stored_literally() -> None:
    assert encode_message("has \x01 inside aks-1", "aks-1") == LITERAL + "has \x01 inside aks-1"
    assert encode_message("\x00starts with the marker", "x") == LITERAL + "\x00starts with the marker"


@pytest.mark.parametrize("per_piece", [1, 2, 3, 10_000])
def test_the_json_block_in_pieces_is_the_whole_document_escaped(per_piece: int) -> None:
    """Long lists and the findings' rows are written a few items at a time; joined, the pieces are the
    document serialized whole, with no ``<``, ``>`` or ``&`` left to end the script element."""
    data = {
        "statuses": ["fail", "pass"],
        "clusters": [["</script><!--", "a&b", 1, 0], ["é\u2028", "", -1, 2], ["x", "y", 3, 4]],
        "empty": [],
        "messages": ["Cluster \x01 runs <1.30>", "plain", "third", "fourth"],
    }
    rows = array("q", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1])
    text = "".join(json_block(data, rows, per_piece=per_piece))
    assert not set(text) & set("<>&")
    expected = data | {"findings": [list(rows[i : i + 5]) for i in range(0, len(rows), 5)]}
    assert json.loads(text) == expected
    whole = json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert text == whole.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert "".join(json_block({}, array("q"))) == '{"findings":[]}'
