"""The speed benchmark's PyTorch baseline: a plain eager training loop in Python.

Same data (the embedded digits, written by `fastestimator speed`), model (FE's LeNet), loss
(cross entropy on softmax probabilities, as FE computes it), optimizer (Adam, lr 1e-3), batch
size and thread count as `speed_estimator`. The data is scaled once up front and batches are
index-selected from one tensor: the fastest a plain loop can be. Prints `SPEED {json}`.
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# FE's ResNet9, written out once for the architecture tests; the same module is timed here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fastestimator", "tests",
                                "data", "architectures"))
from fe_models import ResNet9  # noqa: E402


def seconds_since_process_start():
    with open("/proc/self/stat") as f:
        after_name = f.read().rsplit(")", 1)[1].split()
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - float(after_name[19]) / os.sysconf("SC_CLK_TCK")


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + x)


class SmallResNet(nn.Module):
    """The same layers as `small_resnet` in the Rust speed programs."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(32)
        self.block1 = Block(32)
        self.down = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.down_bn = nn.BatchNorm2d(64)
        self.block2 = Block(64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.block1(F.relu(self.stem_bn(self.stem(x))))
        x = self.block2(F.relu(self.down_bn(self.down(x))))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.fc(x), dim=-1)


class LeNet(nn.Module):
    """FE's `fe.architecture.pytorch.LeNet` (input 1x28x28, 10 classes, softmax output)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.fc1 = nn.Linear(64 * 3 * 3, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return torch.softmax(self.fc2(x), dim=-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--steps", type=int, default=625)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--model", default="lenet", choices=["lenet", "resnet", "resnet9"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--amp", action="store_true", help="float16 autocast with a GradScaler (CUDA)")
    parser.add_argument("--channels-last", action="store_true",
                        help="model and images in torch.channels_last, as PyTorch's performance guide advises")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    y = torch.from_numpy(np.fromfile(os.path.join(args.data, "y.i64"), dtype=np.int64))
    x = torch.from_numpy(np.fromfile(os.path.join(args.data, "x.u8"), dtype=np.uint8))
    if args.model.startswith("resnet"):
        # Contiguous NCHW, as a user's loop receives its batches: torchvision's ToTensor and FE's
        # ChannelTranspose + collate both hand PyTorch contiguous NCHW images. (The permuted view
        # alone would carry channels-last strides into the model, which no such loop does.)
        x = x.reshape(-1, 32, 32, 3).permute(0, 3, 1, 2).contiguous()
    else:
        x = x.reshape(-1, 1, 28, 28)
    x = x.float()
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    x = ((x - lo) / (hi - lo).clamp_min(1e-7)).to(device)
    y = y.to(device)
    model = {"resnet": SmallResNet, "resnet9": ResNet9}.get(args.model, LeNet)().to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda", enabled=args.amp)
    bs = args.batch_size
    perm = torch.randperm(x.shape[0], device=device)
    compute = optimizer = 0.0
    first_step = None
    faults_at_first_step = 0
    start = time.perf_counter()
    for s in range(args.steps):
        t0 = time.perf_counter()
        idx = perm[s * bs:(s + 1) * bs]
        xb, yb = x[idx], y[idx]
        with torch.autocast(args.device, dtype=torch.float16, enabled=args.amp):
            p = model(xb)
        p = p.float().clamp(1e-7, 1 - 1e-7)
        loss = F.nll_loss(torch.log(p), yb)
        opt.zero_grad()
        scaler.scale(loss).backward()
        t1 = time.perf_counter()
        scaler.step(opt)
        scaler.update()
        t2 = time.perf_counter()
        compute += t1 - t0
        optimizer += t2 - t1
        if first_step is None:
            first_step = seconds_since_process_start()
            faults_at_first_step = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        if (s + 1) % 100 == 0:
            print(f"step {s + 1}: ce = {loss.item():.4f}")
    if args.device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    steps = args.steps
    us = lambda t: t * 1e6 / steps
    report = {
        "steps_per_sec": steps / elapsed,
        "first_step_s": first_step,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "page_faults_per_step": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_at_first_step)
        / max(steps - 1, 1),
        "step_us": us(elapsed),
        "data_wait_us": 0.0,
        "forward_backward_us": us(compute),
        "optimizer_us": us(optimizer),
        "traces_us": 0.0,
        "other_us": us(elapsed - compute - optimizer),
    }
    print("SPEED " + json.dumps(report))


if __name__ == "__main__":
    main()
