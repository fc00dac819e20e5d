"""What the guard sees of the camera: the newest frame the face pipeline looked at, with the
pipeline's own detection boxes, and face capture for visitor registration.

`FrameTap` wraps the pipeline's detector, so the view costs no second detection and shows
exactly what the gate decided on. Capture runs the same checks as resident enrolment
(`gate.enrolment.template_from_image`) on that frame and passes on the refusal's code
(`EnrolmentError.code`: `no_face`, `several_faces`, `too_small`, `blurred`, `not_frontal`),
which the UI translates.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from gate.clock import Clock
from gate.enrolment import EnrolmentTemplate, template_from_image
from gate.errors import EnrolmentError, GateError
from gate.vision.detection import HogFaceDetector
from gate.vision.face_pipeline import FacePipeline
from gate.vision.plates.pipeline import PlatePipeline
from gate.vision.recognisers.base import Recogniser
from gate.vision.types import Box, DetectedFace

logger = logging.getLogger(__name__)

JPEG_QUALITY = 80
BOX_COLOUR_BGR = (80, 220, 80)
class CaptureError(GateError, ValueError):
    """No usable face in the camera's newest frame; `code` says why (for the UI's language)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class TappedFrame:
    """One frame as the detector saw it, its boxes, and when (monotonic seconds).

    `image` is RGB for a face pipeline and BGR for a plate pipeline (`is_bgr`): each is kept
    as its detector got it, so the hot path never converts a frame only for the view.
    """

    image: np.ndarray
    boxes: tuple[Box, ...]
    seen_at: float
    is_bgr: bool = False

    def bgr(self) -> np.ndarray:
        """The frame in OpenCV's channel order (converted here, when someone looks)."""
        return self.image if self.is_bgr else cv2.cvtColor(self.image, cv2.COLOR_RGB2BGR)


class FrameTap:
    """A detector wrapper that remembers the newest frame and boxes; thread-safe."""

    def __init__(self, detector: Any, clock: Clock) -> None:
        self.inner = detector
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: TappedFrame | None = None

    def detect(self, image_rgb: np.ndarray, with_landmarks: bool = True) -> list[DetectedFace]:
        """Detect with the wrapped detector and keep the frame (the pipeline's call)."""
        faces = self.inner.detect(image_rgb, with_landmarks)
        self.observe(image_rgb, tuple(face.box for face in faces))
        return faces

    def observe(self, image_rgb: np.ndarray, boxes: tuple[Box, ...] = (),
                is_bgr: bool = False) -> None:
        """Record a frame (the pipeline's own array, kept as is, not copied)."""
        with self._lock:
            self._latest = TappedFrame(image_rgb, boxes, self._clock.monotonic(), is_bgr)

    def latest(self) -> TappedFrame | None:
        with self._lock:
            return self._latest

    def __getattr__(self, name: str) -> Any:  # detect_width_px, upsample of the real detector
        return getattr(self.inner, name)


class PlateFrameTap(FrameTap):
    """The same tap in front of a vehicle lane's plate detector (BGR in, plate boxes out)."""

    def detect(self, frame_bgr: np.ndarray) -> list[Any]:  # type: ignore[override]
        """Detect plates with the wrapped detector and keep the frame with their boxes."""
        candidates = self.inner.detect(frame_bgr)
        self.observe(frame_bgr, tuple(candidate.box for candidate in candidates[:4]),
                     is_bgr=True)
        return candidates


def install_tap(pipeline: Any, clock: Clock) -> FrameTap:
    """Put a tap in front of the pipeline's detector (once); returns it.

    A face pipeline gets a `FrameTap`, a vehicle lane's plate pipeline a `PlateFrameTap`;
    anything else an empty tap (the view shows "no signal").
    """
    if isinstance(pipeline.detector if hasattr(pipeline, "detector") else None, FrameTap):
        return pipeline.detector
    if isinstance(pipeline, FacePipeline):
        tap = FrameTap(pipeline.detector, clock)
    elif isinstance(pipeline, PlatePipeline):
        tap = PlateFrameTap(pipeline.detector, clock)
    else:
        return FrameTap(None, clock)
    pipeline.detector = tap
    return tap


def view_jpeg(frame: TappedFrame | None, width_px: int = 640) -> bytes:
    """The frame with its detection boxes as a JPEG (a grey 'no signal' frame when None)."""
    if frame is None:
        image = np.full((360, 640, 3), 64, dtype=np.uint8)
        cv2.putText(image, "NO SIGNAL", (220, 190), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                    (200, 200, 200), 2)
    else:
        image = frame.bgr().copy()  # the boxes are drawn on it
        thickness = max(2, image.shape[1] // 320)
        for box in frame.boxes:
            cv2.rectangle(image, (box.x1, box.y1), (box.x2 - 1, box.y2 - 1), BOX_COLOUR_BGR,
                          thickness)
    if image.shape[1] > width_px:
        scale = width_px / image.shape[1]
        image = cv2.resize(image, (width_px, round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise GateError("could not encode the camera view")
    return data.tobytes()


@dataclass(frozen=True)
class Capture:
    """An accepted face: its template and a small preview crop (JPEG) for the guard."""

    template: EnrolmentTemplate
    preview_jpeg: bytes
    recogniser: str


def capture_face(frame: TappedFrame | None, recogniser: Recogniser,
                 detector: HogFaceDetector | None = None) -> Capture:
    """Template of the single face in the newest frame; CaptureError with a code otherwise."""
    if frame is None:
        raise CaptureError("no_frame", "the camera has not delivered a frame yet")
    image_bgr = frame.bgr()
    try:
        template = template_from_image(image_bgr, recogniser,
                                       detector or HogFaceDetector(800, upsample=1), "capture")
    except EnrolmentError as err:
        raise CaptureError(err.code, str(err).removeprefix("capture: ")) from err
    return Capture(template, _preview(image_bgr, frame.boxes), recogniser.name)


def _preview(image_bgr: np.ndarray, boxes: tuple[Box, ...]) -> bytes:
    """A padded crop of the largest box (the whole frame when the tap saw none), 240 px wide."""
    crop = image_bgr
    if boxes:
        box = max(boxes, key=lambda b: b.area)
        pad = max(box.width, box.height) // 2
        y1, y2 = max(0, box.y1 - pad), min(image_bgr.shape[0], box.y2 + pad)
        x1, x2 = max(0, box.x1 - pad), min(image_bgr.shape[1], box.x2 + pad)
        crop = image_bgr[y1:y2, x1:x2]
    scale = 240 / crop.shape[1]
    crop = cv2.resize(crop, (240, max(1, round(crop.shape[0] * scale))))
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return data.tobytes() if ok else b""
