"""Export a trained checkpoint to ONNX and check OpenCV DNN reproduces torch's output.

    PYTHONPATH=. /work/trainvenv/bin/python -m training.plates.export_onnx RUN_DIR/model.pt

Writes models/plate_recogniser_ctc_v7.onnx (or --out), then runs the same random and
rendered inputs through torch and cv2.dnn and fails if the scores differ by more than
--tolerance or any greedy read differs. Prints the file's sha256 for the manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from gate.vision.plates.recogniser import DEFAULT_MODEL_PATH, INPUT_SIZE, to_blob
from training.plates.dataset import synthetic_pool
from training.plates.model import PlateNet
from training.plates.train import greedy_texts


def load(checkpoint: Path, weights: str = "model") -> PlateNet:
    """The network of `checkpoint` in eval mode; `weights` "raw_model" takes the trained
    weights of an --ema run instead of their average."""
    state = torch.load(checkpoint, weights_only=True)
    if weights not in state:
        raise SystemExit(f"{checkpoint} has no {weights!r} weights (keys: {sorted(state)})")
    model = PlateNet()
    model.load_state_dict(state[weights])
    model.eval()
    return model


def export(checkpoint: Path, out: Path, weights: str = "model") -> None:
    """Write the ONNX graph (opset 13, dynamic batch)."""
    model = load(checkpoint, weights)
    width, height = INPUT_SIZE
    dummy = torch.zeros(1, 3, height, width)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model, (dummy,), str(out), input_names=["input"], output_names=["scores"],
        dynamic_axes={"input": {0: "batch"}, "scores": {0: "batch"}},
        opset_version=13, dynamo=False,
    )


def check(checkpoint: Path, onnx_path: Path, tolerance: float,
          weights: str = "model") -> dict[str, float]:
    """Max |torch - cv2| score difference and greedy-read agreement on 64 inputs."""
    model = load(checkpoint, weights)
    images, _ = synthetic_pool(64, 4242, None, processes=1)
    blob = to_blob(list(images))
    noise = np.random.default_rng(0).uniform(-1, 1, size=(8, *blob.shape[1:])).astype(np.float32)
    blob = np.concatenate([blob, noise])
    with torch.no_grad():
        expected = model(torch.from_numpy(blob))
    net = cv2.dnn.readNetFromONNX(str(onnx_path))
    net.setInput(blob)
    got = net.forward()
    diff = float(np.abs(got - expected.numpy()).max())
    reads = zip(greedy_texts(expected), greedy_texts(torch.from_numpy(got)), strict=True)
    same = float(np.mean([a == b for a, b in reads]))
    if got.shape != tuple(expected.shape) or diff > tolerance or same < 1.0:
        raise SystemExit(f"cv2.dnn disagrees with torch: shape {got.shape} vs "
                         f"{tuple(expected.shape)}, max diff {diff:.2e}, same reads {same:.3f}")
    return {"max_abs_diff": diff, "same_reads": float(same)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--weights", choices=("model", "raw_model"), default="model",
                        help="raw_model: an --ema run's trained weights, not their average")
    args = parser.parse_args()
    torch.set_num_threads(2)
    export(args.checkpoint, args.out, args.weights)
    result = check(args.checkpoint, args.out, args.tolerance, args.weights)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({"onnx": str(args.out), "bytes": args.out.stat().st_size,  # noqa: T201
                      "sha256": digest, **result}))


if __name__ == "__main__":
    main()
