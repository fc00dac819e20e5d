"""Keep one identity per face across frames by box overlap, so encoding happens per track."""

from __future__ import annotations

from dataclasses import dataclass

from gate.vision.types import Box


@dataclass
class Track:
    """A face followed across frames."""

    track_id: int
    box: Box
    first_seen_at: float
    last_seen_at: float
    frames: int = 1


class IouTracker:
    """Greedy IoU matching; a track ends when unseen for `max_gap_seconds`."""

    def __init__(self, min_iou: float = 0.3, max_gap_seconds: float = 0.6) -> None:
        self.min_iou = min_iou
        self.max_gap_seconds = max_gap_seconds
        self._tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(self, boxes: list[Box], now: float) -> tuple[list[Track], list[Track]]:
        """Assign `boxes` to tracks; returns (tracks for each box in order, tracks that ended)."""
        ended = [t for t in self._tracks.values() if now - t.last_seen_at > self.max_gap_seconds]
        for track in ended:
            del self._tracks[track.track_id]
        free = dict(self._tracks)
        assigned: list[Track] = []
        for box in boxes:
            best = max(free.values(), key=lambda t: t.box.iou(box), default=None)
            if best is not None and best.box.iou(box) >= self.min_iou:
                del free[best.track_id]
                best.box, best.last_seen_at = box, now
                best.frames += 1
                assigned.append(best)
            else:
                track = Track(self._next_id, box, now, now)
                self._next_id += 1
                self._tracks[track.track_id] = track
                assigned.append(track)
        return assigned, ended

    def reset(self) -> list[Track]:
        """Forget every track (e.g. after a camera outage); returns the ended tracks."""
        ended = list(self._tracks.values())
        self._tracks.clear()
        return ended
