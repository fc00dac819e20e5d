"""Face enrolment from an uploaded photo: consent required, template stored, photo not kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import select

from aggregator.db.models import Consent, FaceTemplate
from hw_sim.datasets import identity_images


def _photo(faces_root: Path) -> bytes:
    images = identity_images(faces_root)
    return sorted(images.values(), key=len)[-1][0].read_bytes()


def _resident(client: TestClient) -> None:
    login(client, "admin")
    client.post("/api/v1/residents", json={"person_id": "p1", "display_name": "A", "unit": "1"})


def test_enrolment_without_consent_is_refused(client: TestClient, faces_root: Path) -> None:
    _resident(client)
    response = client.post("/api/v1/residents/p1/faces",
                           files={"photo": ("a.jpg", _photo(faces_root), "image/jpeg")})
    assert response.status_code == 422
    assert "consent" in response.json()["detail"]


def test_enrolment_stores_a_unit_sface_template_and_a_consent(client: TestClient,
                                                              faces_root: Path) -> None:
    _resident(client)
    response = client.post("/api/v1/residents/p1/faces", data={"consent": "true"},
                           files={"photo": ("a.jpg", _photo(faces_root), "image/jpeg")})
    assert response.status_code == 201, response.text
    with client.app.state.services.engine.connect() as conn:
        vector = conn.execute(select(FaceTemplate.vector)).scalar_one()
        consent = conn.execute(select(Consent.recorded_by)).scalar_one()
    assert np.linalg.norm(np.frombuffer(vector, dtype="<f4")) == np.float32(1.0) or abs(
        np.linalg.norm(np.frombuffer(vector, dtype="<f4")) - 1.0) < 1e-4
    assert consent == "admin"
    assert not any(client.app.state.services.snapshot_dir.rglob("*.jpg"))


def test_photo_without_a_face_is_refused_with_reason(client: TestClient) -> None:
    import cv2

    _resident(client)
    blank = cv2.imencode(".jpg", np.full((200, 200, 3), 128, np.uint8))[1].tobytes()
    response = client.post("/api/v1/residents/p1/faces", data={"consent": "true"},
                           files={"photo": ("a.jpg", blank, "image/jpeg")})
    assert response.status_code == 422
    assert "no face" in response.json()["detail"]
