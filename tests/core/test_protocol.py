import datetime
import re
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_sse.protocol import (
    Event,
    Parser,
    encode_comment,
    encode_data,
    encode_event,
    encode_retry,
    format_event,
    parse,
)


def test_encode_event_fields_in_order():
    assert encode_event({"id": 7}, event="order-created", id=12) == (
        b'id: 12\nevent: order-created\ndata: {"id":7}\n\n'
    )


def test_encode_multiline_and_every_line_break():
    assert format_event("a\nb\r\nc\rd") == b"data: a\ndata: b\ndata: c\ndata: d\n\n"


def test_encode_data_types():
    assert encode_data("text") == "text"
    assert encode_data(b"caf\xc3\xa9") == "café"
    assert encode_data(None) == "null"
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    uid = uuid.UUID(int=1)
    assert encode_data({"t": when, "u": uid, "d": Decimal("1.50")}) == (
        '{"t":"2026-01-02T03:04:05Z","u":"00000000-0000-0000-0000-000000000001","d":"1.50"}'
    )
    with pytest.raises(TypeError):
        encode_data({"x": object()})


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nid: 1", "x\x00"])
@pytest.mark.parametrize("field", ["event", "id"])
def test_cr_lf_nul_in_event_or_id_is_rejected(field, bad):
    with pytest.raises(ValueError, match=field):
        encode_event("x", **{field: bad})


def test_retry_and_comment():
    assert encode_retry(1500) == b"retry: 1500\n"
    with pytest.raises(ValueError):
        encode_retry(-1)
    assert encode_comment() == b":\n\n"
    assert encode_comment("a\nb") == b":a\n:b\n\n"


# The parser, against the WHATWG rules -------------------------------------


def test_parse_line_endings_bom_and_leading_space():
    stream = "\ufeffdata:  two spaces\r\ndata:x\rdata\n\n".encode()
    assert parse(stream) == [Event(data=" two spaces\nx\n")]


def test_parse_only_first_bom_is_stripped():
    assert parse("\ufeff\ufeffdata: a\n\n".encode()) == []  # field name is "\ufeffdata"


def test_parse_event_type_id_and_retry():
    parser = Parser()
    events = parser.feed(b"retry: 3000\nid: 5\nevent: ping\ndata: hi\n\n")
    assert events == [Event(data="hi", type="ping", last_event_id="5")]
    assert parser.retry == 3000
    parser.feed(b"retry: 12x\n\nretry: -1\n\nretry: \xef\xbc\x91\n\n")  # not ASCII digits
    assert parser.retry == 3000


def test_parse_id_with_nul_is_ignored_and_id_persists():
    parser = Parser()
    events = parser.feed(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\ndata: c\n\n")
    assert [e.last_event_id for e in events] == ["1", "1", "1"]


def test_parse_id_without_data_sets_cursor_but_dispatches_nothing():
    parser = Parser()
    assert parser.feed(b"id: 42\n\n") == []
    assert parser.last_event_id == "42"


def test_parse_comments_unknown_fields_and_empty_event_reset():
    assert parse(b": hello\nfoo: bar\nevent: x\n\ndata: y\n\n") == [Event(data="y")]


def test_parse_trailing_partial_event_is_dropped():
    assert parse(b"data: a\n\ndata: b\n") == [Event(data="a")]


def test_parse_chunked_crlf_split_and_utf8_split():
    parser = Parser()
    body = "data: é\r\n\r\n".encode()
    out = []
    for i in range(len(body)):
        out += parser.feed(body[i : i + 1])
    assert out == [Event(data="é")]
    # CR at a chunk end followed by LF in the next chunk is one line break
    parser = Parser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n\r\n") == [Event(data="a")]


# Properties ---------------------------------------------------------------

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]))


@given(data=text, event=text, id=text)
def test_any_data_round_trips_and_fields_cannot_be_injected(data, event, id):
    try:
        frame = format_event(data, event=event or None, id=id)
    except ValueError:
        assert re.search("[\r\n\x00]", event + id)
        return
    events = parse(frame)
    # SSE carries line breaks as separate data lines: CR and CRLF arrive as LF.
    assert events == [
        Event(data=re.sub("\r\n|\r", "\n", data), type=event or "message", last_event_id=id)
    ]


@given(st.lists(text, max_size=5), st.integers(min_value=1, max_value=7))
def test_many_events_in_arbitrary_chunks(payloads, chunk):
    stream = b"".join(encode_event(p, id=i) for i, p in enumerate(payloads))
    parser = Parser()
    events = []
    for i in range(0, len(stream), chunk):
        events += parser.feed(stream[i : i + chunk])
    assert [e.data for e in events] == [re.sub("\r\n|\r", "\n", p) for p in payloads]
    assert [e.last_event_id for e in events] == [str(i) for i in range(len(payloads))]
