"""Plate detector, corner ordering and rectification: on drawn plates and the dev scenes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.eval.plate_data import read_crops, read_scenes
from gate.eval.plate_detection import best_match, padded_crop, run, scene_frames
from gate.eval.plate_detection import main as detection_eval_main
from gate.vision.images import read_image
from gate.vision.plates.corners import grow_top_to_aspect, order_corners
from gate.vision.plates.detector import ClassicalPlateDetector
from gate.vision.plates.rectify import rectify
from gate.vision.types import Box

PLATE_W, PLATE_H = 220, 70
BLUE_BGR = (170, 70, 10)
YELLOW_BGR = (20, 190, 235)


def draw_plate(
    text: str, background: tuple[int, int, int], ink: tuple[int, int, int]
) -> np.ndarray:
    """A flat PLATE_W x PLATE_H plate: coloured background, thin rim, seven characters."""
    plate = np.full((PLATE_H, PLATE_W, 3), background, np.uint8)
    cv2.rectangle(plate, (3, 3), (PLATE_W - 4, PLATE_H - 4), ink, 2)
    cv2.putText(plate, text, (14, 52), cv2.FONT_HERSHEY_SIMPLEX, 1.45, ink, 4, cv2.LINE_AA)
    return plate


def paste(canvas: np.ndarray, plate: np.ndarray, corners: np.ndarray) -> None:
    """Warp `plate` onto `canvas` so its corners land on `corners` (TL, TR, BR, BL)."""
    h, w = plate.shape[:2]
    source = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    size = (canvas.shape[1], canvas.shape[0])
    warped = cv2.warpPerspective(plate, matrix, size)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size) > 127
    canvas[mask] = warped[mask]


def tilted_corners(centre: tuple[float, float], degrees: float, shear: float = 0.0) -> np.ndarray:
    """TL, TR, BR, BL of a PLATE_W x PLATE_H plate rotated by `degrees` about `centre`."""
    half = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * (PLATE_W / 2, PLATE_H / 2)
    half[:, 0] += half[:, 1] * shear
    theta = np.deg2rad(degrees)
    rot = np.float32([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return half @ rot.T + np.float32(centre)


def street_frame(seed: int = 0) -> np.ndarray:
    """A 1280x720 grey, blurred-noise frame: texture without anything plate-like."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(120, 30, (720, 1280, 3)).clip(0, 255).astype(np.uint8)
    return cv2.GaussianBlur(noise, (9, 9), 0)


def box_of(corners: np.ndarray) -> Box:
    xs, ys = corners[:, 0], corners[:, 1]
    return Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


@pytest.fixture(scope="module")
def detector() -> ClassicalPlateDetector:
    return ClassicalPlateDetector()


# --- corner ordering and rectification -------------------------------------------------


@pytest.mark.parametrize("degrees", [0.0, 25.0, -25.0, 60.0, -60.0])
def test_order_corners_recovers_reading_order_from_shuffled_points(degrees: float) -> None:
    truth = tilted_corners((400, 300), degrees, shear=0.15)
    shuffled = truth[[2, 0, 3, 1]]
    np.testing.assert_allclose(order_corners(shuffled), truth, atol=1e-3)


def test_order_corners_rejects_wrong_point_count() -> None:
    with pytest.raises(ValueError, match="four"):
        order_corners(np.zeros((3, 2)))


@pytest.mark.parametrize("degrees", [0.0, 12.0, -20.0])
def test_grow_top_to_aspect_raises_only_the_top_edge(degrees: float) -> None:
    flat = tilted_corners((400, 300), degrees)
    flat[:2] += (flat[3] - flat[0]) * 0.4  # keep the lower 60 %: aspect 220 / 42
    grown = grow_top_to_aspect(flat, 220 / 70)
    assert np.allclose(grown[2:], flat[2:])  # the bottom edge stays
    assert np.allclose(grown, tilted_corners((400, 300), degrees), atol=0.01)
    whole = tilted_corners((400, 300), degrees)
    assert np.allclose(grow_top_to_aspect(whole, 4.0), whole)  # taller already: unchanged
    sliver = flat.copy()
    sliver[:2] += (flat[3] - flat[0]) * 0.8  # 220 x 8: grows to 16 at most, not to 70
    capped = grow_top_to_aspect(sliver, 220 / 70)
    assert np.allclose(np.linalg.norm(capped[3] - capped[0]), 2 * 0.2 * 42, atol=0.05)
    line = np.float32([[0, 0], [100, 0], [100, 0], [0, 0]])
    assert np.allclose(grow_top_to_aspect(line, 3.0), line)  # no height: left alone


def test_rectify_straightens_a_tilted_plate_to_the_requested_size() -> None:
    plate = draw_plate("A12345", BLUE_BGR, (255, 255, 255))
    plate[:, :30] = (0, 0, 255)  # a red left end shows which way the crop came out
    frame = street_frame()
    corners = tilted_corners((640, 360), 30.0, shear=0.2)
    paste(frame, plate, corners)
    crop = rectify(frame, corners, size=(188, 48), margin=0.0)
    assert crop.shape == (48, 188, 3)
    red = (crop[..., 2] > 180) & (crop[..., 0] < 80)
    assert red[:, :20].mean() > 0.8  # left end is red: not mirrored or upside down
    assert red[:, -60:].mean() < 0.05
    # Top and bottom rows are plate (blue), not the grey street: the warp is tight.
    blue = (crop[..., 0] > 120) & (crop[..., 2] < 80)
    assert blue[6, 40:].mean() > 0.7 and blue[-6, 40:].mean() > 0.7


def test_rectify_margin_shows_context_around_the_plate() -> None:
    frame = np.full((200, 400, 3), 90, np.uint8)
    corners = np.float32([[100, 80], [300, 80], [300, 140], [100, 140]])
    paste(frame, draw_plate("A12345", BLUE_BGR, (255, 255, 255)), corners)
    tight = rectify(frame, corners, size=(100, 30), margin=0.0)
    loose = rectify(frame, corners, size=(100, 30), margin=(0.1, 0.25))
    def grey(pixels: np.ndarray) -> np.ndarray:
        return np.abs(pixels.astype(int) - 90).sum(axis=-1) < 12

    assert grey(tight[:, 0]).mean() < 0.2
    assert grey(loose[:, 0]).mean() > 0.8


def test_rectify_rejects_degenerate_corners() -> None:
    frame = street_frame()
    with pytest.raises(ValueError, match="no area"):
        rectify(frame, np.float32([[10, 10], [50, 10], [90, 10], [130, 10]]))
    with pytest.raises(ValueError, match="size"):
        rectify(frame, tilted_corners((640, 360), 0.0), size=(0, 24))


# --- detector on drawn frames ---------------------------------------------------------


@pytest.mark.parametrize(
    ("degrees", "shear", "background", "ink", "colour"),
    [
        (0.0, 0.0, BLUE_BGR, (255, 255, 255), "blue"),
        (12.0, 0.25, BLUE_BGR, (255, 255, 255), "blue"),
        (-8.0, -0.2, YELLOW_BGR, (0, 0, 0), "yellow"),
    ],
)
def test_detector_finds_a_drawn_plate_and_its_corners(
    detector: ClassicalPlateDetector, degrees: float, shear: float,
    background: tuple[int, int, int], ink: tuple[int, int, int], colour: str,
) -> None:
    frame = street_frame()
    corners = tilted_corners((600, 420), degrees, shear)
    paste(frame, draw_plate("A12345", background, ink), corners)
    found = detector.detect(frame)
    assert found, "no candidate"
    best = found[0]
    assert best.box.iou(box_of(corners)) >= 0.6
    assert np.linalg.norm(best.corners - corners, axis=1).max() < 0.15 * PLATE_H + 4
    assert best.colour == colour
    assert 0.0 <= best.score <= 1.0


def test_detector_finds_both_plates_in_one_frame(detector: ClassicalPlateDetector) -> None:
    frame = street_frame(1)
    left = tilted_corners((330, 400), 5.0)
    right = tilted_corners((950, 300), -6.0, shear=0.1)
    paste(frame, draw_plate("A12345", BLUE_BGR, (255, 255, 255)), left)
    paste(frame, draw_plate("B67890", YELLOW_BGR, (0, 0, 0)), right)
    found = detector.detect(frame)
    for corners in (left, right):
        _, iou = best_match(found, box_of(corners))
        assert iou >= 0.5


def test_detector_returns_nothing_plate_like_on_a_frame_without_plates(
    detector: ClassicalPlateDetector,
) -> None:
    frame = street_frame(2)
    cv2.rectangle(frame, (200, 200), (700, 500), (40, 40, 40), -1)  # a dark car-sized block
    cv2.circle(frame, (1000, 300), 120, (200, 200, 210), -1)
    found = detector.detect(frame)
    assert all(c.score < 0.5 for c in found)


def test_detector_returns_empty_on_a_black_night_frame(detector: ClassicalPlateDetector) -> None:
    assert detector.detect(np.zeros((720, 1280, 3), np.uint8)) == []


def test_detector_survives_a_dim_noisy_night_frame(detector: ClassicalPlateDetector) -> None:
    frame = (street_frame(3).astype(np.float32) * 0.15).astype(np.uint8)
    corners = tilted_corners((640, 400), 3.0)
    paste(frame, (draw_plate("A12345", BLUE_BGR, (255, 255, 255)) * 0.4).astype(np.uint8), corners)
    found = detector.detect(frame)
    assert isinstance(found, list)
    assert all(0.0 <= c.score <= 1.0 for c in found)


def test_detector_finds_a_dark_blue_plate_at_night(detector: ClassicalPlateDetector) -> None:
    # A quarter-bright blue background (V about 42) is below the loose blue mask's floor.
    frame = (street_frame(3).astype(np.float32) * 0.15).astype(np.uint8)
    corners = tilted_corners((640, 400), 3.0)
    dark_plate = (draw_plate("A12345", BLUE_BGR, (255, 255, 255)) * 0.25).astype(np.uint8)
    paste(frame, dark_plate, corners)
    found = detector.detect(frame)
    assert found, "no candidate for the dark plate"
    assert found[0].box.iou(box_of(corners)) >= 0.6


def new_energy_plate() -> tuple[np.ndarray, float]:
    """A 240x70 (480x140 mm) green plate fading to near-white towards its top edge, 8 chars.

    Returns the plate and the fraction of its height, from the top, that the loose green
    mask (saturation >= 45) does not cover.
    """
    height, width = 70, 240
    fade = np.clip(np.linspace(-0.4, 1.2, height, dtype=np.float32), 0, 1)[:, None, None]
    white, green = np.float32([235, 245, 235]), np.float32([70, 200, 40])
    plate = (white + (green - white) * fade).repeat(width, axis=1).astype(np.uint8)
    cv2.rectangle(plate, (2, 2), (width - 3, height - 3), (30, 30, 30), 2)
    cv2.putText(plate, "AD12345", (12, 54), cv2.FONT_HERSHEY_SIMPLEX, 1.45, (20, 20, 20), 4,
                cv2.LINE_AA)
    saturation = cv2.cvtColor(plate, cv2.COLOR_BGR2HSV)[:, width // 2 - 2, 1]
    unmasked = int(np.argmax(saturation >= 45)) / height
    return plate, unmasked


def test_detector_restores_the_pale_top_of_a_new_energy_plate(
    detector: ClassicalPlateDetector,
) -> None:
    plate, unmasked = new_energy_plate()
    assert unmasked > 0.2  # the green mask alone would cut the plate's top off
    frame = street_frame(4)
    h, w = plate.shape[:2]
    corners = np.float32([[500, 380], [500 + w, 380], [500 + w, 380 + h], [500, 380 + h]])
    paste(frame, plate, corners)
    found = detector.detect(frame)
    assert found, "no candidate for the green plate"
    best = found[0]
    assert best.colour == "green"
    top = (best.corners[0, 1] + best.corners[1, 1]) / 2
    bottom = (best.corners[2, 1] + best.corners[3, 1]) / 2
    assert abs(top - 380) < 0.12 * h, f"top edge at {top:.0f}, plate top at 380"
    assert abs(bottom - (380 + h)) < 0.12 * h
    assert best.box.iou(box_of(corners)) >= 0.75


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((0, 0, 3), np.uint8), "at least"),
        (np.zeros((8, 640, 3), np.uint8), "at least"),
        (np.zeros((480, 640), np.uint8), "HxWx3"),
        (np.zeros((480, 640, 4), np.uint8), "HxWx3"),
        (np.zeros((480, 640, 3), np.float32), "uint8"),
        ([[0, 0, 0]], "numpy array"),
    ],
)
def test_detector_rejects_unusable_frames_with_a_clear_error(
    detector: ClassicalPlateDetector, frame: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        detector.detect(frame)  # type: ignore[arg-type]


# --- detector on the shared dev data ----------------------------------------------------


def test_dev_scenes_recall_stays_above_floor(
    detector: ClassicalPlateDetector, plates_root: Path
) -> None:
    # Measured 1.00 any-candidate and 0.96 top-1 on the 23 dev scenes; floors sit below.
    frames = scene_frames(read_scenes(plates_root / "scenes"))
    found = top1 = total = 0
    for image, targets in frames:
        candidates = detector.detect(image)
        for target in targets:
            index, iou = best_match(candidates, target.box)
            found += iou >= 0.5
            top1 += iou >= 0.5 and index == 0
            total += 1
    assert total >= 20
    assert found / total >= 0.85
    assert top1 / total >= 0.8


def _quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    inter, _ = cv2.intersectConvexConvex(a.astype(np.float32), b.astype(np.float32))
    union = cv2.contourArea(a.astype(np.float32)) + cv2.contourArea(b.astype(np.float32)) - inter
    return float(inter / union)


def test_dev_green_plates_get_quads_that_cover_their_pale_top(
    detector: ClassicalPlateDetector, plates_root: Path
) -> None:
    # The green mask covers a new-energy plate's lower part only. Best candidate quad vs the
    # labelled corners, measured: 0.55 / 0.63 / 0.84 before the top was restored, 0.55 /
    # 0.89 / 0.85 after (the first plate is washed out to saturation ~19: no green blob).
    scenes = [s for s in read_scenes(plates_root / "scenes") if s.colour == "green"]
    assert len(scenes) >= 3
    covered = 0
    for scene in scenes:
        candidates = detector.detect(read_image(scene.path))
        label = order_corners(scene.corners)
        covered += max((_quad_iou(c.corners, label) for c in candidates), default=0.0) >= 0.8
    assert covered >= 2


def test_dev_crops_padded_onto_a_canvas_are_found(
    detector: ClassicalPlateDetector, plates_root: Path
) -> None:
    # Measured 0.99 on the 83 tight crops.
    rng = np.random.default_rng(0)
    crops = read_crops(plates_root / "crops")
    hits = 0
    for crop in crops:
        canvas, box = padded_crop(read_image(crop.path), rng)
        hits += best_match(detector.detect(canvas), box)[1] >= 0.5
    assert len(crops) >= 50
    assert hits / len(crops) >= 0.9


# --- the measurement CLI ----------------------------------------------------------------


def test_detection_eval_measures_a_drawn_scene_folder(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    frame = street_frame(4)
    corners = tilted_corners((640, 400), 4.0, shear=0.1)
    paste(frame, draw_plate("A12345", BLUE_BGR, (255, 255, 255)), corners)
    cv2.imwrite(str(scenes / "drawn.png"), frame)
    box = box_of(corners)
    points = ";".join(f"{x:.1f} {y:.1f}" for x, y in corners)
    (scenes / "labels.csv").write_text(
        "filename,label,color,x1,y1,x2,y2,corners\n"
        f"drawn.png,A12345,blue,{box.x1},{box.y1},{box.x2},{box.y2},{points}\n",
        encoding="utf-8",
    )
    report = run(tmp_path, None, ClassicalPlateDetector())
    assert report["scenes"]["detect_recall"] == 1.0
    assert report["scenes"]["by_colour"]["blue"]["top1_recall"] == 1.0
    assert report["scenes"]["corner_error_px"] < 0.15 * PLATE_H + 4
    assert "crops_padded" not in report  # no crops/ folder: that part is left out


def test_detection_eval_cli_rejects_a_folder_without_scene_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert detection_eval_main([str(tmp_path)]) == 2
    assert "scenes/labels.csv" in capsys.readouterr().err


def test_detection_eval_cli_reports_a_malformed_labels_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "labels.csv").write_text(
        "filename,label,color,x1,y1,x2,y2,corners\nx.png,A1,blue,1,2,three,4,\n",
        encoding="utf-8",
    )
    assert detection_eval_main([str(tmp_path)]) == 2
    assert "line 2" in capsys.readouterr().err
