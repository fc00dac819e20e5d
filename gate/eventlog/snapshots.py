"""Face-crop snapshots referenced by events: JPEG files with an enforced retention period.

Only the face crop is kept (personal-data minimisation): callers pass the frame and the face box,
or a crop they made. A snapshot's name records when it was taken, so retention works from the
name and the injected clock, not from file times that a copy or restore would change:

    <directory>/2026/01/05/20260105T080000123Z-3f2a9c0d1e4b.jpg   ref: "2026/01/05/20260105T...jpg"

Files are written to a temporary name, fsynced and renamed, so a kill -9 leaves either the whole
JPEG or nothing under its final name (stray temporaries are removed by the next purge).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from gate.clock import Clock
from gate.errors import EventLogError, GateError, ImageError
from gate.vision.types import Box

logger = logging.getLogger(__name__)

_REF_PATTERN = re.compile(
    r"^(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<stamp>\d{8}T\d{9}Z)-[0-9a-f]{12}\.jpg$"
)
_TEMP_PATTERN = re.compile(r"^\.(?P<name>\d{8}T\d{9}Z-[0-9a-f]{12}\.jpg)\.tmp$")
_STAMP_FORMAT = "%Y%m%dT%H%M%S"


class InvalidSnapshotRefError(GateError, ValueError):
    """A snapshot reference is malformed or points outside the snapshot folder."""


class SnapshotStore:
    """JPEG face crops under one folder, deleted `retention_days` after they were taken."""

    def __init__(
        self,
        directory: Path,
        retention_days: int,
        clock: Clock,
        *,
        jpeg_quality: int = 85,
        margin_fraction: float = 0.2,
        max_side_px: int = 320,
    ) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        if not 1 <= jpeg_quality <= 100:
            raise ValueError("jpeg_quality must be within 1..100")
        self.directory = Path(directory)
        self.retention_days = retention_days
        self.jpeg_quality = jpeg_quality
        self.margin_fraction = margin_fraction
        self.max_side_px = max_side_px
        self._clock = clock

    # -- writing ---------------------------------------------------------------------------

    def save_jpeg(self, image_bgr: np.ndarray, box: Box | None = None) -> str:
        """Store the face crop of `image_bgr` (the box plus a margin, or the whole image if it
        is already a crop) as JPEG; returns its relative ref for an event's ``snapshot_ref``."""
        crop = self._crop(image_bgr, box)
        data = self._encode(crop)
        taken = self._clock.now().astimezone(UTC)
        stamp = taken.strftime(_STAMP_FORMAT) + f"{taken.microsecond // 1000:03d}Z"
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.jpg"
        ref = f"{taken:%Y/%m/%d}/{name}"
        folder = self.directory / f"{taken:%Y/%m/%d}"
        temp = folder / f".{name}.tmp"
        try:
            created = not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, folder / name)
            _fsync_directory(folder)
            if created:  # the new day folder's own entry must reach the disk too
                for parent in (folder.parent, folder.parent.parent, self.directory):
                    _fsync_directory(parent)
        except OSError as err:
            temp.unlink(missing_ok=True)
            raise EventLogError(f"cannot write snapshot {ref}: {err}") from err
        logger.debug("snapshot %s saved (%d bytes)", ref, len(data))
        return ref

    def _crop(self, image: np.ndarray, box: Box | None) -> np.ndarray:
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ImageError("a snapshot needs a uint8 BGR or grey image")
        if image.ndim == 3 and image.shape[2] != 3:
            raise ImageError(f"a snapshot needs 3 colour channels, got {image.shape[2]}")
        if box is not None:
            height, width = image.shape[:2]
            margin_x = round(box.width * self.margin_fraction)
            margin_y = round(box.height * self.margin_fraction)
            x1, y1 = max(0, box.x1 - margin_x), max(0, box.y1 - margin_y)
            x2, y2 = min(width, box.x2 + margin_x), min(height, box.y2 + margin_y)
            image = image[y1:y2, x1:x2]
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ImageError("the snapshot box lies outside the image")
        return image

    def _encode(self, crop: np.ndarray) -> bytes:
        # OpenCV is imported here, not at module level, so that reading and verifying the
        # log (the `gate verify-log` CLI, the kill -9 writer) does not pay for loading it.
        import cv2

        longest = max(crop.shape[:2])
        if longest > self.max_side_px:
            scale = self.max_side_px / longest
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        ok, buffer = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise ImageError("OpenCV could not encode the snapshot as JPEG")
        return buffer.tobytes()

    # -- reading ---------------------------------------------------------------------------

    def path_of(self, ref: str) -> Path:
        """The file of `ref` (which may no longer exist once retention removed it)."""
        if not isinstance(ref, str) or not _REF_PATTERN.match(ref):
            raise InvalidSnapshotRefError(f"not a snapshot ref: {ref!r}")
        return self.directory.joinpath(*ref.split("/"))

    def taken_at(self, ref: str) -> datetime:
        """When the snapshot `ref` was taken (UTC), read from its name."""
        match = _REF_PATTERN.match(ref) if isinstance(ref, str) else None
        if match is None:
            raise InvalidSnapshotRefError(f"not a snapshot ref: {ref!r}")
        return _stamp_time(match.group("stamp"))

    # -- retention -------------------------------------------------------------------------

    def cutoff(self) -> datetime:
        """Snapshots taken before this moment are expired."""
        return self._clock.now() - timedelta(days=self.retention_days)

    def expired_refs(self) -> list[str]:
        """Refs of stored snapshots older than the retention period, oldest first."""
        cutoff = self.cutoff()
        return sorted(ref for ref, taken in self._stored() if taken < cutoff)

    def delete(self, refs: Iterable[str]) -> int:
        """Delete these snapshots' files; returns how many files were removed."""
        removed = 0
        for ref in refs:
            try:
                self.path_of(ref).unlink()
                removed += 1
            except FileNotFoundError:
                continue
            except OSError as err:
                raise EventLogError(f"cannot delete snapshot {ref}: {err}") from err
        self._remove_stale_temporaries()
        self._remove_empty_folders()
        return removed

    def purge_expired(self) -> int:
        """Delete every snapshot older than the retention period; returns how many."""
        removed = self.delete(self.expired_refs())
        if removed:
            logger.info("deleted %d snapshots older than %d days", removed, self.retention_days)
        return removed

    def _stored(self) -> Iterable[tuple[str, datetime]]:
        if not self.directory.is_dir():
            return
        for file in self.directory.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*.jpg"):
            ref = file.relative_to(self.directory).as_posix()
            match = _REF_PATTERN.match(ref)
            if match is not None:
                yield ref, _stamp_time(match.group("stamp"))

    def _remove_stale_temporaries(self) -> None:
        # Left behind only by a crash mid-write; anything older than an hour is abandoned.
        if not self.directory.is_dir():
            return
        stale_before = self._clock.now() - timedelta(hours=1)
        for file in self.directory.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/.*.tmp"):
            match = _TEMP_PATTERN.match(file.name)
            if match and _stamp_time(match.group("name")[:19]) < stale_before:
                file.unlink(missing_ok=True)

    def _remove_empty_folders(self) -> None:
        # Only folders of expired periods: today's folder may be empty for a moment while
        # save_jpeg (another thread) is about to write into it.
        if not self.directory.is_dir():
            return
        cutoff = self.cutoff().astimezone(UTC)
        limit = (cutoff.year, cutoff.month, cutoff.day)
        for pattern in ("[0-9]*/[0-9]*/[0-9]*", "[0-9]*/[0-9]*", "[0-9]*"):
            for folder in self.directory.glob(pattern):
                parts = folder.relative_to(self.directory).parts
                if not all(part.isdigit() for part in parts):
                    continue
                period = tuple(int(part) for part in parts)
                if period < limit[: len(period)] and folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()


def _stamp_time(stamp: str) -> datetime:
    """``20260105T080000123Z`` as an aware UTC datetime."""
    moment = datetime.strptime(stamp[:15], _STAMP_FORMAT).replace(tzinfo=UTC)
    return moment + timedelta(milliseconds=int(stamp[15:18]))


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
