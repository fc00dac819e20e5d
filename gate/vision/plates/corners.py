"""Plate corner geometry: ordering four points as the plate reads, fitting a quad to a blob."""

from __future__ import annotations

import cv2
import numpy as np

from gate.errors import ImageError
from gate.vision.types import Box

_NEXT = np.array([1, 2, 3, 0])
_ROTATIONS = (np.arange(4)[:, None] + np.arange(4)[None, :]) % 4  # row k: start at corner k


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points ordered top-left, top-right, bottom-right, bottom-left, as float32 (4, 2).

    The points go clockwise around their centroid; the rotation is then chosen so that
    the first edge is one of the two longer (plate top/bottom) edges and lies above its
    opposite edge. That keeps the order right for plates rotated up to about +-80 degrees,
    where sorting by x+y alone flips once the tilt passes 45 degrees.
    """
    pts = np.asarray(points, dtype=np.float32)
    if pts.shape != (4, 2) or not np.all(np.isfinite(pts)):
        raise ImageError(f"corners must be four finite (x, y) points, got shape {pts.shape}")
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    # Ascending angle with y pointing down is clockwise on screen.
    cyclic = pts[np.argsort(angles)]
    edge_len = np.linalg.norm(cyclic[_NEXT] - cyclic, axis=1)
    long_first = (edge_len[0] + edge_len[2]) >= (edge_len[1] + edge_len[3])
    quads = cyclic[_ROTATIONS]  # (4 starting corners, 4 points, xy)
    is_long = np.array([long_first, not long_first, long_first, not long_first])
    top_y = quads[:, 0, 1] + quads[:, 1, 1]
    bottom_y = quads[:, 2, 1] + quads[:, 3, 1]
    # Prefer long top edges; among those, the one that is highest; then the top-left-most start.
    key = (~is_long) * 1e9 + (top_y > bottom_y) * 1e6 + quads[:, 0, 0] + quads[:, 0, 1]
    return quads[int(np.argmin(key))].astype(np.float32)


def corners_box(corners: np.ndarray, width: int, height: int) -> Box:
    """The axis-aligned box around `corners`, clipped to a width x height frame."""
    xs, ys = corners[:, 0], corners[:, 1]
    return Box(
        max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min()))),
        min(width, int(np.ceil(xs.max())) + 1), min(height, int(np.ceil(ys.max())) + 1),
    )


def _fit_line(t: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """Least-squares s = a * t + b in closed form (np.polyfit's lstsq costs ~40 us a call)."""
    t_mean, s_mean = float(t.sum()) / t.size, float(s.sum()) / s.size
    dt = t - t_mean
    var = float(dt @ dt)
    if var <= 1e-12:
        return 0.0, s_mean
    a = float(dt @ (s - s_mean)) / var
    return a, s_mean - a * t_mean


def _robust_line(t: np.ndarray, s: np.ndarray, max_slope: float) -> tuple[float, float]:
    """Fit s = a * t + b, dropping points far from a first fit (notches cut by characters).

    A slope steeper than `max_slope` is not a plate edge but a fit thrown by a few stray
    points; the edge is then taken as level at the median offset.
    """
    a, b = _fit_line(t, s)
    resid = np.abs(s - (a * t + b))
    kth = len(resid) * 3 // 5  # the 60th percentile, without np.percentile's overhead
    keep = resid <= max(1.5, float(np.partition(resid, kth)[kth]) * 2.0)
    kept = int(np.count_nonzero(keep))
    if 2 <= kept < len(t):
        a, b = _fit_line(t[keep], s[keep])
    if abs(a) > max_slope:
        return 0.0, float(np.median(s))
    return a, b


def _edge_profiles(
    along: np.ndarray, across: np.ndarray, lo: float, hi: float, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Bin centres and per-bin lowest and highest `across` of points with `along` in [lo, hi].

    Both opposite edges come from one pass: the binning was most of the corner fit's cost.
    """
    inside = (along >= lo) & (along <= hi)
    if np.count_nonzero(inside) < 2:
        return None
    idx = np.minimum(((along[inside] - lo) / max(hi - lo, 1e-6) * bins).astype(int), bins - 1)
    values = across[inside]
    lowest = np.full(bins, np.inf)
    np.minimum.at(lowest, idx, values)
    highest = np.full(bins, -np.inf)
    np.maximum.at(highest, idx, values)
    filled = np.flatnonzero(np.isfinite(lowest))
    if len(filled) < 2:
        return None
    return lo + (filled + 0.5) * (hi - lo) / bins, lowest[filled], highest[filled]


def quad_from_contour(contour: np.ndarray) -> np.ndarray:
    """Four ordered corners fitted to a blob's outline.

    A plate seen off-axis is a sheared, slightly tapered quad that minAreaRect (a
    rectangle) fits poorly. In the frame of the blob's minAreaRect, fit a line to the
    outermost points of each side (top and bottom over the middle 80 % of the length,
    left and right over the middle 60 % of the height) and intersect neighbouring lines.
    Falls back to the rectangle when a side has too few points or the fit is degenerate.
    """
    pts = contour.reshape(-1, 2).astype(np.float64)
    (cx, cy), (w, h), angle = cv2.minAreaRect(pts.astype(np.float32))
    rect = cv2.boxPoints(((cx, cy), (w, h), angle))
    if w < h:
        w, h, angle = h, w, angle + 90.0
    theta = np.deg2rad(angle)
    axis_u = np.array([np.cos(theta), np.sin(theta)])
    axis_v = np.array([-np.sin(theta), np.cos(theta)])
    rel = pts - (cx, cy)
    u, v = rel @ axis_u, rel @ axis_v
    across_length = _edge_profiles(u, v, -0.4 * w, 0.4 * w, bins=16)
    across_height = _edge_profiles(v, u, -0.3 * h, 0.3 * h, bins=6)
    if across_length is None or across_height is None:
        return order_corners(rect)
    t_u, top, bottom = across_length
    t_v, left, right = across_height
    # Slopes are relative to the blob's own rectangle: top and bottom edges stay close
    # to it, sides lean with the camera's view angle (shear).
    at, bt = _robust_line(t_u, top, max_slope=0.2)  # v = at * u + bt
    ab, bb = _robust_line(t_u, bottom, max_slope=0.2)
    al, bl = _robust_line(t_v, left, max_slope=0.6)  # u = al * v + bl
    ar, br = _robust_line(t_v, right, max_slope=0.6)
    corners_uv = []
    for a_h, b_h, a_v, b_v in ((at, bt, al, bl), (at, bt, ar, br), (ab, bb, ar, br),
                               (ab, bb, al, bl)):
        # v = a_h * u + b_h and u = a_v * v + b_v
        denom = 1.0 - a_h * a_v
        if abs(denom) < 1e-6:
            return order_corners(rect)
        v_c = (a_h * b_v + b_h) / denom
        corners_uv.append((a_v * v_c + b_v, v_c))
    uv = np.asarray(corners_uv)
    quad = (cx, cy) + uv[:, :1] * axis_u + uv[:, 1:] * axis_v
    quad = quad.astype(np.float32)
    # A fit that wanders far from the blob (a bad side line) is worse than the rectangle.
    if np.abs(uv[:, 0]).max() > 0.75 * w or np.abs(uv[:, 1]).max() > 0.9 * h:
        return order_corners(rect)
    return order_corners(quad)


def plate_dimensions(corners: np.ndarray) -> tuple[float, float]:
    """Mean (width, height) in pixels of an ordered plate quad."""
    tl, tr, br, bl = corners
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2.0
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2.0
    return float(width), float(height)


def scale_quad(corners: np.ndarray, grow_x: float, grow_y: float) -> np.ndarray:
    """The quad grown (or shrunk, if negative) by fractions of its width and height per side."""
    tl, tr, br, bl = corners.astype(np.float32)
    right = ((tr - tl) + (br - bl)) / 2.0
    down = ((bl - tl) + (br - tr)) / 2.0
    dx, dy = right * grow_x, down * grow_y
    return np.array([tl - dx - dy, tr + dx - dy, br + dx + dy, bl - dx + dy], dtype=np.float32)


def grow_top_to_aspect(corners: np.ndarray, aspect: float, max_growth: float = 1.0) -> np.ndarray:
    """The quad with its top edge moved up until width / height is `aspect` (never down),
    by at most `max_growth` times its height.

    For a blob that holds only the lower part of its plate, such as the green mask of a
    new-energy plate, whose background fades to white towards the top.
    """
    quad = corners.astype(np.float32)
    width, height = plate_dimensions(quad)
    if height <= 0 or width / height <= aspect:
        return quad
    tl, tr, br, bl = quad
    down = ((bl - tl) + (br - tr)) / 2.0
    lift = down * min(width / aspect - height, max_growth * height) / height
    return np.array([tl - lift, tr - lift, br, bl], dtype=np.float32)
