"""A hostile zip archive built by hand for the loaders' tests: records that overlap."""

from __future__ import annotations

import struct
import zlib
from typing import Callable


def _local_header(name: str, crc: int, size: int) -> bytes:
    """A stored record's local header (zip's "PK\\3\\4"), without an extra field."""
    encoded = name.encode()
    return (b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, 0x21, crc, size, size,
                                        len(encoded), 0) + encoded)


def overlapping_zip(path, names: list[str], kernel: bytes,
                    head: Callable[[int], bytes] = lambda size: b"",
                    first: tuple[tuple[str, bytes], ...] = ()) -> tuple[int, int]:
    """Write a zip whose records `names` overlap: record i's bytes are `head(n)` (n: the bytes
    after it) followed by the local header and bytes of record i+1, and so on down to
    `kernel`: every record is valid (name, size, CRC), yet a file of a few kilobytes holds
    records of ~len(names) × len(kernel) bytes in all. `first` are ordinary records before
    them. Returns (the file's size, the records' sizes added up)."""
    tail, headers, sizes, crcs = kernel, [b""] * len(names), [0] * len(names), [0] * len(names)
    for i in reversed(range(len(names))):           # a record's CRC covers the ones after it
        data = head(len(tail)) + tail
        sizes[i], crcs[i] = len(data), zlib.crc32(data)
        headers[i] = _local_header(names[i], crcs[i], sizes[i]) + data[:len(data) - len(tail)]
        tail = headers[i] + tail
    out, entries = bytearray(), []
    for name, data in first:
        entries.append((name, zlib.crc32(data), len(data), len(out)))
        out += _local_header(name, zlib.crc32(data), len(data)) + data
    offset = len(out)
    for name, crc, size, header in zip(names, crcs, sizes, headers):
        entries.append((name, crc, size, offset))
        offset += len(header)
    out += tail
    directory = bytearray()
    for name, crc, size, offset in entries:
        encoded = name.encode()
        directory += (b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, 0, 0, 0x21,
                                                  crc, size, size, len(encoded), 0, 0, 0, 0, 0,
                                                  offset) + encoded)
    end = struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries), len(directory), len(out), 0)
    out += directory + b"PK\x05\x06" + end
    with open(path, "wb") as file:
        file.write(out)
    return len(out), sum(sizes)
