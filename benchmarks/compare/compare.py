# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""The PyTorch half of benchmarks/compare/run.sh.

Runs the blog model (150x150x3 input, batch 50) in eager PyTorch + torchvision and measures the same things as
`ConvViz.Benchmarks compare`, writing JSON with the same keys. Usage (inside the Debian 13 root, see run.sh):

    python3 compare.py --json out.json --data JPEG_DIR --small-data JPEG_DIR [--threads 2] [--batch 50]
                       [--budget 10] [--workers 1] [--sections train,infer,activation,epoch,memory]
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision
from torchvision import transforms

SIZE = 150
CLASSES = 2
ACTIVATION_LAYER = 5


def log(message):
    print(f"[pytorch {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def blog_model():
    """The blog's model; layer indices match ConvViz's (Keras') layer list, so model[:6] ends at layer index 5."""
    layers = [
        nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()),
        nn.Sequential(nn.Conv2d(8, 16, 3), nn.ReLU()),
        nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(16, 32, 3), nn.ReLU()),
        nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(32, 64, 3), nn.ReLU()),
        nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(64, 16, 3), nn.ReLU()),
        nn.Flatten(),
    ]
    widths = [3136, 64, 64, None, 128, 128, None, 256, 256, None, 64, 64, None, 32]
    previous = 3136
    for w in widths[1:]:
        if w is None:
            layers.append(nn.Dropout(0.3))
        else:
            layers.append(nn.Sequential(nn.Linear(previous, w), nn.ReLU()))
            previous = w
    layers.append(nn.Sequential(nn.Linear(previous, CLASSES), nn.Softmax(dim=1)))
    return nn.Sequential(*layers)


def keras_categorical_crossentropy(probabilities, one_hot):
    p = probabilities.clamp(1e-7, 1 - 1e-7)
    return -(one_hot * p.log()).sum(-1).mean()


def repeat(action, budget, warmup=2, min_runs=3, max_runs=1000):
    for _ in range(warmup):
        action()
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        action()
        times.append((time.perf_counter() - t0) * 1000)
    return {"runs": len(times), "median_ms": statistics.median(times), "mean_ms": statistics.fmean(times), "min_ms": min(times)}


def report(r, batch, note):
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
    out["img_per_s"] = round(batch * 1000.0 / r["median_ms"], 3)
    out["note"] = note
    return out


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


CHANNELS_LAST = False
BF16 = False


def autocast():
    """bf16 autocast on the CPU (the lever a PyTorch expert reaches for), or a no-op."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16)


def prepare(x):
    return x.contiguous(memory_format=torch.channels_last) if CHANNELS_LAST else x


def train_step(model, optimizer, x, y):
    """One Keras-style step: loss and accuracy are read back every batch, as Keras' progress bar and ConvViz's Fit do."""
    optimizer.zero_grad(set_to_none=True)
    with autocast():
        p = model(prepare(x))
    p = p.float()
    loss = keras_categorical_crossentropy(p, y)
    loss.backward()
    optimizer.step()
    accuracy = (p.argmax(1) == y.argmax(1)).float().mean()
    return loss.item(), accuracy.item()


def augmented_folder(root):
    """Keras flow_from_directory(target_size=150x150) + ImageDataGenerator(rescale=1/255, rotation_range=40,
    width/height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, horizontal_flip=True), in torchvision."""
    transform = transforms.Compose([
        transforms.Resize((SIZE, SIZE), interpolation=transforms.InterpolationMode.NEAREST),
        transforms.RandomAffine(degrees=40, translate=(0.2, 0.2), scale=(0.8, 1.2), shear=0.2,
                                interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
    ])
    return torchvision.datasets.ImageFolder(root, transform=transform)


def loader(root, batch, workers):
    return torch.utils.data.DataLoader(augmented_folder(root), batch_size=batch, shuffle=True, num_workers=workers,
                                       persistent_workers=False, drop_last=False)


def run_epoch(model, optimizer, batches):
    images = 0
    for x, labels in batches:
        y = nn.functional.one_hot(labels, CLASSES).float()
        train_step(model, optimizer, x, y)
        images += x.shape[0]
    return images


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--data")
    ap.add_argument("--small-data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--budget", type=float, default=10)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--memory-epochs", type=int, default=20)
    ap.add_argument("--sections", default="train,infer,activation,epoch,memory")
    ap.add_argument("--channels-last", action="store_true", help="lever: NHWC memory format for the model and inputs")
    ap.add_argument("--bf16", action="store_true", help="lever: torch.autocast('cpu', dtype=torch.bfloat16) around the forward pass")
    args = ap.parse_args()
    global CHANNELS_LAST, BF16
    CHANNELS_LAST = args.channels_last
    BF16 = args.bf16
    sections = set(args.sections.split(","))

    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    result = {"engine": "pytorch", "version": torch.__version__, "torchvision": torchvision.__version__,
              "threads": args.threads, "torch_threads": torch.get_num_threads(), "batch": args.batch,
              "workers": args.workers}
    log(f"PyTorch {torch.__version__}: {args.threads} threads, batch {args.batch}, budget {args.budget} s per measurement")
    model = blog_model()
    if CHANNELS_LAST:
        model = model.to(memory_format=torch.channels_last)
    result["channels_last"] = CHANNELS_LAST
    result["bf16"] = BF16
    cpu_start = os.times()
    optimizer = torch.optim.Adamax(model.parameters(), lr=0.001, eps=1e-7)
    x = torch.rand(args.batch, 3, SIZE, SIZE)
    y = nn.functional.one_hot(torch.randint(0, CLASSES, (args.batch,)), CLASSES).float()

    if "train" in sections:
        log("training step")
        model.train()
        r = repeat(lambda: train_step(model, optimizer, x, y), args.budget)
        result["train_step"] = report(r, args.batch, "forward, Keras categorical cross-entropy, backward, torch.optim.Adamax, loss and accuracy read back")

    if "infer" in sections:
        log("inference")
        model.eval()

        def infer():
            with torch.inference_mode(), autocast():
                model(prepare(x)).float().sum().item()

        result["inference"] = report(repeat(infer, args.budget), args.batch, "forward in eval mode under inference_mode")

    if "activation" in sections:
        log("activation extraction")
        model.eval()
        one = torch.rand(1, 3, SIZE, SIZE)
        head = model[:ACTIVATION_LAYER + 1]

        def full():
            with torch.no_grad():
                model(one).sum().item()

        def partial():
            with torch.no_grad():
                head(one).sum().item()

        feature_layers = [i for i, m in enumerate(model) if i <= 7]

        def one_pass():
            with torch.no_grad():
                outputs, h = [], one
                for i, m in enumerate(model[:feature_layers[-1] + 1]):
                    h = m(h)
                    outputs.append(h)
                return outputs

        def per_layer():
            with torch.no_grad():
                return [model[:i + 1](one) for i in feature_layers]

        f = repeat(full, args.budget / 4, warmup=5, min_runs=20)
        p = repeat(partial, args.budget / 4, warmup=5, min_runs=20)
        o = repeat(one_pass, args.budget / 4, warmup=3, min_runs=10)
        q = repeat(per_layer, args.budget / 4, warmup=3, min_runs=10)
        result["activation"] = {"batch": 1, "layer": ACTIVATION_LAYER, "feature_map_layers": len(feature_layers),
                                "all_layers_one_pass_ms": round(o["median_ms"], 3),
                                "all_layers_per_layer_ms": round(q["median_ms"], 3),
                                "all_layers_speedup": round(q["median_ms"] / o["median_ms"], 3),
                                "full_forward_ms": round(f["median_ms"], 3),
                                "layer_ms": round(p["median_ms"], 3), "speedup": round(f["median_ms"] / p["median_ms"], 3),
                                "full_forward_min_ms": round(f["min_ms"], 3), "layer_min_ms": round(p["min_ms"], 3),
                                "note": "model[:6](x) vs model(x) under no_grad, one 150x150 image"}

    if "epoch" in sections and args.data:
        model.train()
        count = len(augmented_folder(args.data))
        steps = (count + args.batch - 1) // args.batch
        log(f"pure-compute epoch: {steps} steps on in-memory tensors")
        tensors = [(torch.rand(min(args.batch, count - i * args.batch), 3, SIZE, SIZE),
                    torch.randint(0, CLASSES, (min(args.batch, count - i * args.batch),))) for i in range(steps)]
        t0 = time.perf_counter()
        images = run_epoch(model, optimizer, tensors)
        compute = time.perf_counter() - t0
        result["compute_epoch"] = {"images": images, "seconds": round(compute, 3), "img_per_s": round(images / compute, 3),
                                   "note": "same number of steps on pre-made tensors"}
        del tensors
        log(f"end-to-end epoch over {count} JPEGs, DataLoader with {args.workers} worker(s)")
        t0 = time.perf_counter()
        images = run_epoch(model, optimizer, loader(args.data, args.batch, args.workers))
        e2e = time.perf_counter() - t0
        result["e2e_epoch"] = {"images": images, "seconds": round(e2e, 3), "img_per_s": round(images / e2e, 3),
                               "vs_compute": round(e2e / compute, 3),
                               "note": f"ImageFolder + Resize(nearest) + RandomAffine + flip + ToTensor, DataLoader(num_workers={args.workers}), one epoch including worker start-up"}

    if "memory" in sections and args.small_data:
        model.train()
        batches = loader(args.small_data, args.batch, args.workers)
        log(f"memory: {args.memory_epochs} epochs over {len(batches.dataset)} JPEGs")
        rss = []
        for epoch in range(args.memory_epochs):
            run_epoch(model, optimizer, batches)
            rss.append(rss_bytes())
        a, b = rss[1], rss[-1]
        result["memory"] = {"images": len(batches.dataset), "epochs": args.memory_epochs,
                            "rss_epoch2_mb": round(a / 2**20, 1), "rss_last_mb": round(b / 2**20, 1),
                            "growth_pct": round((b - a) * 100.0 / a, 2),
                            "rss_per_epoch_mb": [round(v / 2**20, 1) for v in rss],
                            "note": "main-process VmRSS after epochs 2 and 20 (workers are separate processes)"}

    cpu = os.times()
    user, system = cpu.user - cpu_start.user, cpu.system - cpu_start.system
    result["cpu"] = {"user_s": round(user, 3), "system_s": round(system, 3), "system_share": round(system / max(1e-9, user + system), 3)}
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
