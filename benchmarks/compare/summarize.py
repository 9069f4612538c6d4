# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Prints the side-by-side table of benchmarks/compare/run.sh (standard library only).

    python3 summarize.py pytorch.json convviz.json [--markdown out.md]

Ratios are ConvViz throughput / PyTorch throughput: above 1 means ConvViz is faster.
"""

import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    args = sys.argv[1:]
    markdown = None
    if "--markdown" in args:
        i = args.index("--markdown")
        markdown = args[i + 1]
        del args[i:i + 2]
    py, cv = load(args[0]), load(args[1])

    rows = []

    def ratio_row(label, key, target=None):
        a, b = py.get(key), cv.get(key)
        if not a or not b:
            return
        r = b["img_per_s"] / a["img_per_s"]
        verdict = "" if target is None else ("met" if r >= target else "MISSED")
        rows.append((label, f"{a['img_per_s']:.1f}", f"{b['img_per_s']:.1f}", f"{r:.2f}x",
                     "" if target is None else f">= {target}x", verdict))

    ratio_row("training step (img/s)", "train_step", 1.0)
    ratio_row("inference (img/s)", "inference")
    ratio_row("pure-compute epoch (img/s)", "compute_epoch")
    ratio_row("end-to-end epoch from JPEGs (img/s)", "e2e_epoch", 1.3)

    if "e2e_epoch" in cv and "compute_epoch" in cv:
        v = cv["e2e_epoch"]["seconds"] / cv["compute_epoch"]["seconds"]
        pv = py["e2e_epoch"]["seconds"] / py["compute_epoch"]["seconds"] if "e2e_epoch" in py and "compute_epoch" in py else None
        rows.append(("end-to-end / pure-compute epoch time", f"{pv:.2f}x" if pv else "", f"{v:.2f}x", "",
                     "<= 1.15x (ConvViz)", "met" if v <= 1.15 else "MISSED"))
    if "activation" in cv:
        a, b = py.get("activation", {}), cv["activation"]
        rows.append((f"activation at layer {b['layer']} vs full forward (speed-up, batch 1)",
                     f"{a.get('speedup', 0):.2f}x" if a else "", f"{b['speedup']:.2f}x", "",
                     ">= 2x (ConvViz)", "met" if b["speedup"] >= 2 else "MISSED"))
        rows.append(("  full forward / layer-5 forward (ms, batch 1)",
                     f"{a.get('full_forward_ms', 0):.2f} / {a.get('layer_ms', 0):.2f}" if a else "",
                     f"{b['full_forward_ms']:.2f} / {b['layer_ms']:.2f}", "", "", ""))
        if "all_layers_speedup" in b:
            rows.append((f"all {b['feature_map_layers']} feature-map layers: one pass vs one model per layer (speed-up)",
                         f"{a.get('all_layers_speedup', 0):.2f}x" if a else "", f"{b['all_layers_speedup']:.2f}x", "",
                         ">= 2x (ConvViz)", "met" if b["all_layers_speedup"] >= 2 else "MISSED"))
    if "memory" in cv:
        a, b = py.get("memory", {}), cv["memory"]
        rows.append((f"RSS growth epoch 2 -> {b['epochs']} ({b['images']} JPEGs)",
                     f"{a['growth_pct']:+.1f}% ({a['rss_epoch2_mb']:.0f}->{a['rss_last_mb']:.0f} MB)" if a else "",
                     f"{b['growth_pct']:+.1f}% ({b['rss_epoch2_mb']:.0f}->{b['rss_last_mb']:.0f} MB)", "",
                     "< 5% (ConvViz)", "met" if b["growth_pct"] < 5 else "MISSED"))

    header = ("measurement", "PyTorch", "ConvViz", "ratio", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))

    if markdown:
        with open(markdown, "w") as f:
            f.write("| " + " | ".join(header[:-1]) + " | result |\n")
            f.write("|" + "---|" * len(header) + "\n")
            for r in rows:
                f.write("| " + " | ".join(str(c) for c in r) + " |\n")


if __name__ == "__main__":
    main()
