"""Turn a shipped recogniser ONNX file back into a PlateNet checkpoint, to fine-tune from.

    git show ff2798c:models/plate_recogniser_ctc_v1.onnx > /tmp/plate_recogniser_ctc_v1.onnx
    PYTHONPATH=. /work/trainvenv/bin/python -m training.plates.import_onnx \
        /tmp/plate_recogniser_ctc_v1.onnx /work/plate_runs/v1_import/model.pt

The exporter folds every BatchNorm into the convolution before it, so the ONNX file holds
only convolution weights and biases. Importing them with an identity BatchNorm would
reproduce the model in eval mode but not in training mode, where BatchNorm normalises by the
batch's statistics. So each BatchNorm gets the mean and variance that its convolution's
output actually has on real training crops and synthetic plates, and a scale and shift that
undo them: eval-mode output is unchanged, and a training batch like those is normalised to
(nearly) the same values. The written checkpoint is checked against the ONNX file run by
cv2.dnn (export_onnx.check) and is then a valid `train.py --init`.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from gate.vision.plates.alphabet import NUM_CLASSES
from gate.vision.plates.recogniser import to_blob
from training.plates.dataset import clean_inputs, read_labelled_crops, synthetic_pool
from training.plates.export_onnx import check
from training.plates.model import PlateNet
from training.plates.train import DEFAULT_DATA


def conv_blocks(model: PlateNet) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    """Every (convolution, BatchNorm) pair of the network, in graph order."""
    blocks: list[tuple[nn.Conv2d, nn.BatchNorm2d]] = []
    for module in model.modules():
        if isinstance(module, nn.Sequential) and len(module) == 3 and isinstance(
            module[1], nn.BatchNorm2d
        ):
            blocks.append((module[0], module[1]))
    return blocks


def onnx_convolutions(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of each Conv node of the ONNX graph, in graph order.

    Refuses a graph that still holds BatchNormalization nodes: its convolutions alone are
    not the network.
    """
    graph = onnx.load(str(path)).graph
    if any(node.op_type == "BatchNormalization" for node in graph.node):
        raise SystemExit(f"{path}: BatchNormalization nodes present; expected an export with "
                         "BatchNorm folded into the convolutions (export_onnx.py)")
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    convolutions = []
    for node in graph.node:
        if node.op_type == "Conv":
            weight = weights[node.input[1]]
            bias = weights[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0])
            convolutions.append((weight, bias))
    return convolutions


def load_folded(model: PlateNet, path: Path) -> None:
    """Copy the ONNX weights in, each BatchNorm an identity plus the folded bias."""
    convolutions = onnx_convolutions(path)
    blocks = conv_blocks(model)
    if len(convolutions) != len(blocks) + 1:
        raise SystemExit(f"{path}: {len(convolutions)} convolutions, PlateNet has "
                         f"{len(blocks) + 1}: not a PlateNet export")
    for (conv, norm), (weight, bias) in zip(blocks, convolutions[:-1], strict=True):
        _copy(conv.weight, weight, path)
        norm.running_mean.zero_()
        norm.running_var.fill_(1.0 - norm.eps)
        norm.weight.data.fill_(1.0)
        _copy(norm.bias, bias, path)
    weight, bias = convolutions[-1]
    if weight.shape[0] != NUM_CLASSES:
        raise SystemExit(f"{path}: {weight.shape[0]} classes, the alphabet has {NUM_CLASSES}")
    _copy(model.classifier.weight, weight, path)
    _copy(model.classifier.bias, bias, path)


def _copy(target: torch.Tensor, source: np.ndarray, path: Path) -> None:
    if tuple(target.shape) != source.shape:
        raise SystemExit(f"{path}: a weight of shape {source.shape} where PlateNet has "
                         f"{tuple(target.shape)}: not a PlateNet export")
    target.data.copy_(torch.from_numpy(source.astype(np.float32)))


def calibrate_norms(model: PlateNet, inputs: torch.Tensor) -> None:
    """Give each BatchNorm its convolution's measured output statistics (eval output kept)."""
    blocks = conv_blocks(model)
    stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook(index: int) -> Callable[[nn.Module, tuple, torch.Tensor], None]:
        def record(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            stats[index] = (output.mean((0, 2, 3)), output.var((0, 2, 3), unbiased=False))
        return record

    handles = [conv.register_forward_hook(hook(i)) for i, (conv, _) in enumerate(blocks)]
    model.eval()
    with torch.no_grad():
        model(inputs)
    for handle in handles:
        handle.remove()
    for index, (_, norm) in enumerate(blocks):
        mean, var = stats[index]
        folded_bias = norm.bias.data.clone()
        norm.running_mean.copy_(mean)
        norm.running_var.copy_(var)
        norm.weight.data = torch.sqrt(var + norm.eps)
        norm.bias.data = folded_bias + mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("onnx_file", type=Path)
    parser.add_argument("checkpoint", type=Path, help="where to write model.pt")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real training crops")
    parser.add_argument("--synthetic", type=int, default=1000,
                        help="synthetic plates added to the real crops for the statistics")
    args = parser.parse_args()

    torch.set_num_threads(2)
    model = PlateNet()
    load_folded(model, args.onnx_file)
    synthetic, _ = synthetic_pool(args.synthetic, 777, None)
    images = np.concatenate([clean_inputs(read_labelled_crops(args.data)), synthetic])
    inputs = torch.from_numpy(to_blob(list(images)))
    model.eval()
    with torch.no_grad():
        before = model(inputs)
    calibrate_norms(model, inputs)
    model.eval()
    with torch.no_grad():
        after = model(inputs)
        eval_diff = float((after - before).abs().max())
        # Batch statistics in place of the running ones (dropout off): a copy, because a
        # training-mode pass updates the running statistics.
        probe = copy.deepcopy(model).train()
        for module in probe.modules():
            if isinstance(module, nn.Dropout):
                module.eval()
        batch_norm_diff = float((probe(inputs) - before).abs().max())
    if eval_diff > 1e-3:
        raise SystemExit(f"eval output changed by {eval_diff:.2e} after calibration")
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "num_classes": NUM_CLASSES, "step": 0,
                "args": {"imported_from": str(args.onnx_file)}}, args.checkpoint)
    against_onnx = check(args.checkpoint, args.onnx_file, tolerance=1e-3)  # exits on mismatch
    print(json.dumps({"checkpoint": str(args.checkpoint), "inputs": len(inputs),  # noqa: T201
                      "calibration_eval_max_abs_diff": eval_diff,
                      "batch_statistics_max_abs_diff": batch_norm_diff,
                      "vs_onnx_in_cv2_dnn": against_onnx}))


if __name__ == "__main__":
    main()
