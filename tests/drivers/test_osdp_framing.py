"""The pure OSDP framing core that supervision and the simulator use to watch the line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.events import PinEntry, card_bytes, card_number
from firmware_bridge.framing import (
    COMMAND_OUT,
    REPLY_ACK,
    PacketScanner,
    build_packet,
    crc16,
    parse_packet,
)

# An ID request (osdp_ID, 0x61) to address 101, exactly as libosdp 3.2.9 wrote it.
LIBOSDP_ID_REQUEST = bytes.fromhex("53650900046100d97a")


def test_crc_matches_a_frame_written_by_libosdp():
    body, crc = LIBOSDP_ID_REQUEST[:-2], LIBOSDP_ID_REQUEST[-2:]
    assert crc16(body) == int.from_bytes(crc, "little")


def test_libosdp_frame_parses_with_its_address_and_code():
    packet = parse_packet(LIBOSDP_ID_REQUEST)
    assert packet is not None
    assert (packet.address, packet.is_reply, packet.code) == (0x65, False, 0x61)


def test_built_reply_round_trips_through_the_parser():
    raw = build_packet(5, REPLY_ACK, sequence=2, reply=True)
    packet = parse_packet(raw)
    assert packet is not None and packet.is_reply and packet.sequence == 2


def test_checksum_frames_are_accepted_too():
    raw = build_packet(5, REPLY_ACK, reply=True, use_crc=False)
    assert parse_packet(raw) is not None


def test_bad_crc_is_rejected():
    raw = bytearray(build_packet(1, COMMAND_OUT, b"\x00\x02\x00\x00"))
    raw[-1] ^= 0x01
    assert parse_packet(bytes(raw)) is None


def test_scanner_resynchronises_after_noise_and_truncated_frames():
    good = build_packet(1, REPLY_ACK, reply=True)
    truncated = build_packet(1, REPLY_ACK, b"abc", reply=True)[:-3]
    packets = PacketScanner().feed(b"\x00\x53\xff" + truncated + good)
    assert [p.raw for p in packets] == [good]


def test_fake_long_length_does_not_hide_a_following_frame():
    bogus_header = bytes([0x53, 0x81, 0xFF, 0x04, 0x04])  # claims 1279 bytes
    good = build_packet(1, REPLY_ACK, reply=True)
    assert [p.raw for p in PacketScanner().feed(bogus_header + good)] == [good]


def test_frame_split_across_reads_is_found_once_complete():
    good = build_packet(1, REPLY_ACK, reply=True)
    scanner = PacketScanner()
    assert scanner.feed(good[:4]) == []
    assert [p.raw for p in scanner.feed(good[4:])] == [good]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=12))
def test_scanner_only_ever_returns_well_formed_packets(chunks):
    scanner = PacketScanner()
    for chunk in chunks:
        for packet in scanner.feed(chunk):
            assert parse_packet(packet.raw) == packet


def test_wiegand_26_card_number_round_trips():
    assert card_number(card_bytes(0x2ABCDEF, 26), 26) == str(0x2ABCDEF)


def test_pin_entry_needs_enter_and_clear_restarts():
    entry = PinEntry(timeout_seconds=5)
    assert entry.feed(b"12\x7f4821", 0.0) == []
    assert entry.feed(b"5\r", 1.0) == ["48215"]


def test_pin_entry_forgets_digits_after_a_pause():
    entry = PinEntry(timeout_seconds=5)
    entry.feed(b"1234", 0.0)
    assert entry.feed(b"5678\r", 10.0) == ["5678"]
