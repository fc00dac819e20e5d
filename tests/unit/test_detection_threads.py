"""Face detection from several threads: each caller gets the faces of its own image.

dlib's HOG detector keeps scratch buffers; when two lanes (or enrolment beside the camera
loop) shared face_recognition's global detector, one lane was handed the other's faces
(seen in `gate demo`: faces "detected" on the empty frames of the second lane).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from gate.vision.detection import HogFaceDetector

ROUNDS = 25


def _run_together(jobs: list) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_lanes_detecting_at_once_never_see_each_others_faces(faces_root: Path) -> None:
    photo = next((faces_root / "identities" / "biden").iterdir())
    face_image = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    empty = np.full_like(face_image, 96)
    alone = HogFaceDetector().detect(face_image, with_landmarks=False)
    assert len(alone) == 1
    lane_a, lane_b = HogFaceDetector(), HogFaceDetector()
    seen_a: list[list] = []
    seen_b: list[list] = []
    _run_together([
        lambda: seen_a.extend(lane_a.detect(face_image, with_landmarks=False)
                              for _ in range(ROUNDS)),
        lambda: seen_b.extend(lane_b.detect(empty, with_landmarks=False) for _ in range(ROUNDS)),
    ])
    assert all([f.box for f in faces] == [alone[0].box] for faces in seen_a)
    assert all(faces == [] for faces in seen_b)


def test_one_detector_shared_by_two_threads_answers_each_correctly(faces_root: Path) -> None:
    photo = next((faces_root / "identities" / "biden").iterdir())
    face_image = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    empty = np.full_like(face_image, 96)
    shared = HogFaceDetector()
    counts: dict[str, list[int]] = {"face": [], "empty": []}
    _run_together([
        lambda: counts["face"].extend(len(shared.detect(face_image, with_landmarks=False))
                                      for _ in range(ROUNDS)),
        lambda: counts["empty"].extend(len(shared.detect(empty, with_landmarks=False))
                                       for _ in range(ROUNDS)),
    ])
    assert counts == {"face": [1] * ROUNDS, "empty": [0] * ROUNDS}
