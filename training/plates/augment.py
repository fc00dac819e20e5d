"""Turn clean renders and real crops into the messy crops a gate camera produces.

Synthetic plates get wear (dirt, shadows, uneven light), a background (car body,
bumper), a perspective warp, a detector-like crop with random margins (the eval crops
carry about +6 % horizontal / +15 % vertical; the real training crops are tight), then
camera degradation: low resolution, blur, noise, JPEG, exposure, colour casts, and the
red/blue channel swap some archived crops show. Every function takes the generator.
"""

from __future__ import annotations

import cv2
import numpy as np

from gate.vision.plates.recogniser import to_model_input
from training.plates.synthetic_plates import Plate, PlateRenderer, vary_glyph


def _wear(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dirt specks and smears, a lighting gradient and sometimes a hard shadow edge."""
    out = image.astype(np.float32)
    h, w = out.shape[:2]
    if rng.random() < 0.5:  # dirt: darkish brown blotches, blurred
        dirt = np.zeros((h, w), np.float32)
        for _ in range(rng.integers(1, 30)):
            centre = (int(rng.integers(w)), int(rng.integers(h)))
            axes = (int(rng.integers(1, max(2, w // 12))), int(rng.integers(1, max(2, h // 6))))
            cv2.ellipse(dirt, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                        float(rng.uniform(0.2, 0.8)), -1)
        dirt = cv2.GaussianBlur(dirt, (0, 0), float(rng.uniform(0.5, 3.0)))[..., None]
        colour = np.array([rng.uniform(30, 90), rng.uniform(50, 110), rng.uniform(60, 120)])
        out = out * (1 - dirt) + colour * dirt
    if rng.random() < 0.6:  # smooth light gradient across the plate
        gx = np.linspace(rng.uniform(0.6, 1.2), rng.uniform(0.6, 1.2), w, dtype=np.float32)
        gy = np.linspace(rng.uniform(0.7, 1.2), rng.uniform(0.7, 1.2), h, dtype=np.float32)
        out *= (gy[:, None] * gx[None, :])[..., None]
    if rng.random() < 0.15:  # hard shadow across part of the plate
        x0, x1 = rng.uniform(-0.5, 1.5, size=2) * w
        polygon = np.array([[x0, 0], [x1, h], [w * 2, h], [w * 2, 0]], np.int32)
        mask = np.zeros((h, w), np.float32)
        cv2.fillPoly(mask, [polygon], 1.0)
        out *= (1 - mask * rng.uniform(0.3, 0.6))[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def _background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Car-body-like surroundings: a base colour, bands and bars, noise."""
    base = rng.integers(0, 256, size=3)
    if rng.random() < 0.5:
        base = np.full(3, rng.integers(0, 256))  # grey, black, white cars are common
    bg = np.empty((h, w, 3), np.float32)
    bg[:] = base
    for _ in range(rng.integers(0, 5)):
        y0 = int(rng.integers(0, h))
        thickness = int(rng.integers(1, max(2, h // 3)))
        cv2.rectangle(bg, (0, y0), (w, y0 + thickness), rng.integers(0, 256, size=3).tolist(), -1)
    if rng.random() < 0.3:  # vertical bars (grille) or a bolt-hole frame
        for x in range(int(rng.integers(0, 8)), w, int(rng.integers(6, 20))):
            cv2.line(bg, (x, 0), (x, h), rng.integers(0, 256, size=3).tolist(), 1)
    bg += rng.normal(0, rng.uniform(2, 20), size=bg.shape).astype(np.float32)
    bg = cv2.GaussianBlur(bg, (0, 0), float(rng.uniform(0.3, 2.0)))
    return np.clip(bg, 0, 255).astype(np.uint8)


def place_in_scene(plate: Plate, rng: np.random.Generator, wide: bool = False) -> np.ndarray:
    """Warp the plate with a random pose and crop it like a detector would (random margins).

    With `wide`, a third of the single-row crops get the looser boxes our detector gives on
    real scenes (up to +20 % per side horizontally, or cutting 5 % into the plate).
    """
    image = _wear(plate.image, rng)
    ph, pw = image.shape[:2]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    angle = np.deg2rad(np.clip(rng.normal(0, 3.5), -10, 10))
    yaw = rng.uniform(-0.15, 0.15)  # one side taller than the other
    pitch = rng.uniform(-0.08, 0.08)  # top narrower or wider than the bottom
    shear = rng.uniform(-0.12, 0.12) * ph  # vertical-edge slant (camera off to one side)
    dst = np.float32([
        [pw * max(pitch, 0) + shear, ph * max(yaw, 0)],
        [pw - pw * max(pitch, 0) + shear, ph * max(-yaw, 0)],
        [pw - pw * max(-pitch, 0), ph - ph * max(-yaw, 0)],
        [pw * max(-pitch, 0), ph - ph * max(yaw, 0)],
    ])
    dst += rng.normal(0, 0.015 * ph, size=dst.shape).astype(np.float32)
    centre = dst.mean(axis=0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = ((dst - centre) @ rotation.T + centre).astype(np.float32)
    x0, y0 = dst.min(axis=0)
    x1, y1 = dst.max(axis=0)
    bw, bh = x1 - x0, y1 - y0
    if plate.two_rows:
        left, right = rng.uniform(-0.01, 0.08, size=2) * bw
        top, bottom = rng.uniform(-0.01, 0.12, size=2) * bh
    elif wide and rng.random() < 1 / 3:
        left, right = rng.uniform(-0.05, 0.20, size=2) * bw
        top, bottom = rng.uniform(-0.10, 0.35, size=2) * bh
    else:
        left, right = rng.uniform(-0.025, 0.10, size=2) * bw
        top, bottom = rng.uniform(-0.06, 0.24, size=2) * bh
    crop_x0, crop_y0 = x0 - left, y0 - top
    out_w = max(8, int(round(bw + left + right)))
    out_h = max(4, int(round(bh + top + bottom)))
    dst -= np.float32([crop_x0, crop_y0])
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (out_w, out_h))[..., None]
    scene = _background(out_h, out_w, rng)
    out = warped.astype(np.float32) * mask + scene.astype(np.float32) * (1 - mask)
    return out.astype(np.uint8)


def degrade(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Camera effects: resolution loss, blur, exposure, colour, noise, JPEG."""
    h, w = image.shape[:2]
    out = image
    if rng.random() < 0.3 * strength:  # defocus before sampling
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.4, 1.5)))
    if rng.random() < 0.2 * strength:  # horizontal motion blur
        k = int(rng.integers(3, 8))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        out = cv2.filter2D(out, -1, kernel)
    aspect = w / h * rng.uniform(0.9, 1.1)
    target_w = int(rng.uniform(55, 160) if rng.random() < strength else rng.uniform(90, 160))
    target_h = max(6, int(round(target_w / aspect)))
    out = cv2.resize(out, (target_w, target_h), interpolation=cv2.INTER_AREA)
    out = out.astype(np.float32)
    gain = rng.uniform(0.5, 1.3)
    if rng.random() < 0.15 * strength:  # low light: dark and noisy
        gain = rng.uniform(0.15, 0.45)
    out = (out - 128) * rng.uniform(0.6, 1.3) + 128  # contrast
    out = out * gain + rng.uniform(-25, 25)
    cast = (0.5, 1.5) if rng.random() < 0.15 else (0.85, 1.15)  # e.g. green-tinted cameras
    out = out * rng.uniform(*cast, size=3).astype(np.float32)
    if rng.random() < 0.3:
        gamma = rng.uniform(0.6, 1.6)
        out = 255 * (np.clip(out, 0, 255) / 255) ** gamma
    if rng.random() < 0.1 * strength:  # glare
        glare = np.zeros(out.shape[:2], np.float32)
        cv2.circle(glare, (int(rng.integers(target_w)), int(rng.integers(target_h))),
                   int(rng.integers(2, max(3, target_w // 3))), 1.0, -1)
        out += cv2.GaussianBlur(glare, (0, 0), target_h / 4)[..., None] * rng.uniform(60, 200)
    out += rng.normal(0, rng.uniform(0, 10 * strength + 1), size=out.shape).astype(np.float32)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.08:  # some archives store RGB as BGR
        out = out[..., ::-1].copy()
    if rng.random() < 0.05:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.7:
        quality = int(rng.uniform(20, 95))
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return out


def synthetic_sample(renderer: PlateRenderer, rng: np.random.Generator,
                     wide_margins: bool = False) -> tuple[np.ndarray, str]:
    """One model-input-sized synthetic crop and its text."""
    plate = renderer.render(rng)
    crop = degrade(place_in_scene(plate, rng, wide_margins), rng)
    return to_model_input(crop, plate.two_rows), plate.text


# Where the province character sits in a tight real crop (fractions of width / height).
_PROVINCE_BOX = (0.015, 0.12, 0.165, 0.88)


def swap_province(image: np.ndarray, glyphs: dict[str, np.ndarray], province: str,
                  rng: np.random.Generator, vary: bool = False,
                  elastic: float = 0.0) -> np.ndarray:
    """The tight real crop with its province character painted over by `province`.

    The real training crops are all 皖: without this the model learns "real-looking
    plate, so 皖". The old character is inpainted away and the new glyph drawn in the
    old one's ink colour, then softened to the crop's sharpness. With `vary` the glyph
    gets a random stroke weight and slant first (`vary_glyph`).
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (round(f * s) + int(rng.integers(-1, 2)) for f, s in
                      zip(_PROVINCE_BOX, (w, h, w, h), strict=True))
    x0, y0 = max(0, x0), max(0, y0)
    region = image[y0:y1, x0:x1]
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    background = np.median(region.reshape(-1, 3), axis=0)
    if background[0] > background[2] + 30 or np.median(grey) < 90:  # blue/black: light ink
        ink_pixels = grey >= np.percentile(grey, 95)
    else:
        ink_pixels = grey <= np.percentile(grey, 5)
    ink = region[ink_pixels].mean(axis=0)
    text_mask = np.zeros((h, w), np.uint8)
    text_mask[y0:y1, x0:x1] = 255
    out = cv2.inpaint(image, text_mask, 3, cv2.INPAINT_TELEA).astype(np.float32)
    glyph = vary_glyph(glyphs[province], rng, elastic=elastic) if vary else glyphs[province]
    glyph = cv2.resize(glyph, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    mask = cv2.GaussianBlur(glyph.astype(np.float32) / 255, (0, 0), float(rng.uniform(0.3, 0.7)))
    mask = np.clip(mask * rng.uniform(1.3, 1.8), 0, 1)  # plate hanzi are bolder than the fonts
    out[y0:y1, x0:x1] = out[y0:y1, x0:x1] * (1 - mask[..., None]) + ink * mask[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def augment_real(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real crop re-posed (small rotation, scale, shift, margin change) and degraded mildly."""
    h, w = image.shape[:2]
    # Pad with replicated border so a zoom-out or shift shows plausible surroundings.
    pad_x, pad_y = int(0.12 * w), int(0.3 * h)
    padded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
    angle = float(np.clip(rng.normal(0, 2.5), -6, 6))
    scale = rng.uniform(0.95, 1.08)
    centre = (padded.shape[1] / 2 + rng.normal(0, 0.02 * w),
              padded.shape[0] / 2 + rng.normal(0, 0.05 * h))
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    matrix[0, 1] += rng.uniform(-0.08, 0.08)  # slight shear
    warped = cv2.warpAffine(padded, matrix, (padded.shape[1], padded.shape[0]),
                            borderMode=cv2.BORDER_REPLICATE)
    left, right = rng.uniform(-0.03, 0.08, size=2) * w
    top, bottom = rng.uniform(-0.06, 0.2, size=2) * h
    x0, x1 = int(round(pad_x - left)), int(round(pad_x + w + right))
    y0, y1 = int(round(pad_y - top)), int(round(pad_y + h + bottom))
    crop = warped[max(0, y0) : y1, max(0, x0) : x1]
    return to_model_input(degrade(crop, rng, strength=0.5))
