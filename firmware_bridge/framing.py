"""OSDP packet framing as a pure core: find well-formed packets in a byte stream.

libosdp does the protocol; this module only *watches* the line, so that supervision can
tell "the board answers" from "the board is silent" without trusting libosdp's slower
back-off, and so that hw_sim can capture and replay frames. No I/O, no clock.

A packet: SOM (0x53), address (bit 7 set on replies), length (2 bytes, little-endian,
whole packet), control (bits 0-1 sequence, bit 2 CRC, bit 3 security block), an optional
security block, the command or reply code (never encrypted), data, an optional 4-byte
MAC, then a CRC-16 (little-endian) or a one-byte checksum.
"""

from __future__ import annotations

from dataclasses import dataclass

SOM = 0x53
REPLY_BIT = 0x80
BROADCAST_ADDRESS = 0x7F
CONTROL_SEQUENCE_MASK = 0x03
CONTROL_CRC = 0x04
CONTROL_SECURITY_BLOCK = 0x08
HEADER_BYTES = 5  # SOM, address, length (2), control
MIN_PACKET_BYTES = 7  # header, code, checksum
MAX_PACKET_BYTES = 1440  # libosdp's largest packet buffer; longer "lengths" are noise
MAX_BUFFER_BYTES = 4 * MAX_PACKET_BYTES

# Reply codes supervision cares about (OSDP v2.2 table 8).
REPLY_ACK = 0x40
REPLY_NAK = 0x41
REPLY_CCRYPT = 0x76
REPLY_RMAC_I = 0x78
COMMAND_OUT = 0x68


def crc16(data: bytes) -> int:
    """CRC-16/AUG-CCITT as OSDP uses it (polynomial 0x1021, initial value 0x1D0F)."""
    crc = 0x1D0F
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def checksum8(data: bytes) -> int:
    """OSDP's one-byte checksum: the two's complement of the byte sum."""
    return (-sum(data)) & 0xFF


@dataclass(frozen=True, slots=True)
class Packet:
    """One well-formed OSDP packet seen on the line."""

    address: int
    """The PD address (reply bit removed)."""
    is_reply: bool
    sequence: int
    secure: bool
    """True when the packet carries a security block (handshake or secure data)."""
    code: int
    """The command or reply code."""
    raw: bytes
    """The whole packet, SOM to CRC (what a replay attack would resend)."""


def build_packet(
    address: int,
    code: int,
    data: bytes = b"",
    *,
    sequence: int = 0,
    reply: bool = False,
    use_crc: bool = True,
) -> bytes:
    """A plain (not secure) OSDP packet; for tests and fault injection."""
    if not 0 <= address <= BROADCAST_ADDRESS:
        raise ValueError("an OSDP address is 0..127")
    control = (sequence & CONTROL_SEQUENCE_MASK) | (CONTROL_CRC if use_crc else 0)
    length = HEADER_BYTES + 1 + len(data) + (2 if use_crc else 1)
    head = bytes([SOM, address | (REPLY_BIT if reply else 0), length & 0xFF, length >> 8, control])
    body = head + bytes([code]) + data
    if use_crc:
        crc = crc16(body)
        return body + bytes([crc & 0xFF, crc >> 8])
    return body + bytes([checksum8(body)])


def parse_packet(raw: bytes) -> Packet | None:
    """The packet in `raw` (exactly one, SOM first), or None when it is not well formed."""
    if len(raw) < MIN_PACKET_BYTES or raw[0] != SOM:
        return None
    length = raw[2] | (raw[3] << 8)
    if length != len(raw) or length > MAX_PACKET_BYTES:
        return None
    control = raw[4]
    if control & CONTROL_CRC:
        if length < MIN_PACKET_BYTES + 1:
            return None
        if crc16(raw[:-2]) != (raw[-2] | (raw[-1] << 8)):
            return None
        end = length - 2
    else:
        if checksum8(raw[:-1]) != raw[-1]:
            return None
        end = length - 1
    code_at = HEADER_BYTES
    secure = bool(control & CONTROL_SECURITY_BLOCK)
    if secure:
        block_length = raw[HEADER_BYTES]
        if block_length < 2:
            return None
        code_at += block_length
    if code_at >= end:
        return None
    return Packet(
        address=raw[1] & ~REPLY_BIT & 0xFF,
        is_reply=bool(raw[1] & REPLY_BIT),
        sequence=control & CONTROL_SEQUENCE_MASK,
        secure=secure,
        code=raw[code_at],
        raw=bytes(raw),
    )


class PacketScanner:
    """Feed it bytes as they arrive; it returns the well-formed packets among them.

    Noise, truncated packets and bad CRCs are skipped byte by byte (resynchronising on
    the next SOM); the buffer never grows beyond `MAX_BUFFER_BYTES`.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.bytes_discarded = 0

    def feed(self, data: bytes) -> list[Packet]:
        """Add `data`; return every packet completed by it, oldest first."""
        self._buffer += data
        packets: list[Packet] = []
        buffer = self._buffer
        while True:
            start = buffer.find(SOM)
            if start < 0:
                self.bytes_discarded += len(buffer)
                buffer.clear()
                break
            if start:
                self.bytes_discarded += start
                del buffer[:start]
            if len(buffer) < HEADER_BYTES:
                break
            length = buffer[2] | (buffer[3] << 8)
            if not MIN_PACKET_BYTES <= length <= MAX_PACKET_BYTES:
                self._skip_one()
                continue
            if len(buffer) < length:
                # Noise can fake a long length; a complete packet behind it proves that
                # the pending "packet" is not one, so do not wait for its bytes.
                later = self._complete_packet_after_start()
                if later is None:
                    break
                self.bytes_discarded += later
                del buffer[:later]
                continue
            packet = parse_packet(bytes(buffer[:length]))
            if packet is None:
                self._skip_one()
                continue
            packets.append(packet)
            del buffer[:length]
        if len(buffer) > MAX_BUFFER_BYTES:
            # A long "length" field from noise must not stall the scanner for long.
            self.bytes_discarded += len(buffer) - MAX_PACKET_BYTES
            del buffer[:-MAX_PACKET_BYTES]
        return packets

    def _complete_packet_after_start(self) -> int | None:
        buffer = self._buffer
        start = buffer.find(SOM, 1)
        while start >= 0:
            if len(buffer) - start >= HEADER_BYTES:
                length = buffer[start + 2] | (buffer[start + 3] << 8)
                if MIN_PACKET_BYTES <= length <= len(buffer) - start and parse_packet(
                    bytes(buffer[start : start + length])
                ):
                    return start
            start = buffer.find(SOM, start + 1)
        return None

    def _skip_one(self) -> None:
        del self._buffer[:1]
        self.bytes_discarded += 1
