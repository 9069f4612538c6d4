# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Summarizes benchmarks/compare/before-after.sh (standard library only).

    python3 before_after_summary.py RUNS.tsv --out DIR --before LABEL --after LABEL [settings...]

RUNS.tsv lists one `compare --sections train,epoch` JSON per run, in run order. Writes DIR/summary.md and
DIR/results.json and prints the summary. Per measurement: the median of each side, every value, after / before
(ratio of the medians, above 1 means "after" is faster), a 95 % bootstrap interval of that ratio (each side resampled
on its own, 10,000 draws, fixed seed), the per-round ratios, and a verdict against the tolerance band. With 3-5 runs
per side the interval is coarse: it can only be as narrow as the runs agree.
"""

import argparse
import csv
import datetime
import json
import os
import random
import statistics
import sys

MEASUREMENTS = [
    ("train_step", "training step", True),
    ("e2e_epoch", "end-to-end epoch from JPEGs", True),
    ("compute_epoch", "pure-compute epoch (same section, secondary)", False),
]
DRAWS = 10_000
BUSY_PCT = 10.0  # a run during which other processes used more than this share of the CPUs is flagged


def median(values):
    return statistics.median(values)


def cv(values):
    return statistics.stdev(values) / statistics.mean(values) if len(values) > 1 else 0.0


def bootstrap(before, after, seed=20241):
    rng = random.Random(seed)
    ratios = sorted(
        median(rng.choices(after, k=len(after))) / median(rng.choices(before, k=len(before))) for _ in range(DRAWS))
    return ratios[int(0.025 * DRAWS)], ratios[int(0.975 * DRAWS) - 1]


def verdict(lo, hi, tol):
    band = f"±{tol:g} %"
    t = tol / 100
    if lo >= 1 - t and hi <= 1 + t:
        return f"within {band}"
    if hi < 1 - t:
        return f"slower: outside {band}"
    if lo > 1 + t:
        return f"faster: outside {band}"
    return f"not resolved: interval crosses {band}"


def pct(r):
    return f"{(r - 1) * 100:+.1f} %"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("manifest")
    p.add_argument("--out", required=True)
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--before-sha", default="")
    p.add_argument("--after-sha", default="")
    p.add_argument("--budget", type=float)
    p.add_argument("--images", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--order", default="abab")
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--build-seconds", type=int)
    p.add_argument("--total-seconds", type=int)
    p.add_argument("--cpus", type=int)
    p.add_argument("--cpu-model", default="")
    p.add_argument("--note", default="")
    a = p.parse_args()

    with open(a.manifest, newline="") as f:
        runs = list(csv.DictReader(f, delimiter="\t"))
    for r in runs:
        with open(r["json"]) as f:
            r["result"] = json.load(f)
        r["json"] = os.path.relpath(r["json"], a.out)
        for k, conv in (("seq", int), ("round", int), ("wall_s", float), ("load1", float), ("steal_pct", float),
                        ("foreign_cpu_pct", float), ("settle_s", int)):
            r[k] = conv(r[k])

    sides = {s: [r for r in runs if r["side"] == s] for s in ("before", "after")}
    busy = [r for r in runs if r["foreign_cpu_pct"] > BUSY_PCT]
    rounds = sorted({r["round"] for r in runs})
    stats = {}
    for key, label, _ in MEASUREMENTS:
        vals = {s: [r["result"][key]["img_per_s"] for r in sides[s] if key in r["result"]] for s in sides}
        if not vals["before"] or not vals["after"]:
            continue
        by_round = {s: {r["round"]: r["result"][key]["img_per_s"] for r in sides[s] if key in r["result"]} for s in sides}
        paired = [by_round["after"][i] / by_round["before"][i] for i in rounds
                  if i in by_round["after"] and i in by_round["before"]]
        ratio = median(vals["after"]) / median(vals["before"])
        lo, hi = bootstrap(vals["before"], vals["after"])
        stats[key] = {
            "label": label,
            "before": {"values": vals["before"], "median": median(vals["before"]), "cv": cv(vals["before"]),
                       "min": min(vals["before"]), "max": max(vals["before"])},
            "after": {"values": vals["after"], "median": median(vals["after"]), "cv": cv(vals["after"]),
                      "min": min(vals["after"]), "max": max(vals["after"])},
            "ratio": ratio,
            "bootstrap_95": [lo, hi],
            "paired_ratios": paired,
            "verdict": verdict(lo, hi, a.tolerance) + (" (busy machine: not trustworthy)" if busy else ""),
        }

    start = runs[0]["start_utc"]
    last = datetime.datetime.strptime(runs[-1]["start_utc"], "%Y-%m-%dT%H:%M:%SZ")
    end = (last + datetime.timedelta(seconds=runs[-1]["wall_s"])).strftime("%H:%M")
    loads = [r["load1"] for r in runs]
    steals = [r["steal_pct"] for r in runs]
    foreign = [r["foreign_cpu_pct"] for r in runs]
    order = "before, after, before, after, ..." if a.order == "abab" else "before, after, after, before, ... (the side that starts alternates)"
    md = []
    md.append(f"### Before/after in one run ({start[:10]} {start[11:16]}–{end} UTC)")
    md.append("")
    md.append(f"- before: `{a.before}`")
    md.append(f"- after: `{a.after}`")
    md.append(
        f"- blog model, batch 50, {a.threads} libtorch threads, {a.workers} data worker(s), fp32 defaults; training step = "
        f"median of one process' steps over ~{a.budget:g} s (`Model.Fit` on an in-memory batch); end-to-end epoch = one "
        f"`Fit` epoch over {a.images} synthetic ~500×375 JPEGs with the blog's augmentation; "
        f"{len(rounds)} rounds ({order}), every run its own process in the Debian 13 root, same JPEGs")
    md.append(
        f"- machine: {a.cpus} × {a.cpu_model}; during the runs other processes used {min(foreign):.1f}–{max(foreign):.1f} % "
        f"of the CPUs, CPU steal {min(steals):.1f}–{max(steals):.1f} %, load average at run start "
        f"{min(loads):.2f}–{max(loads):.2f}; builds {a.build_seconds} s, whole run {a.total_seconds} s")
    if busy:
        md.append(f"- **busy machine:** in {len(busy)} of {len(runs)} runs (#{', #'.join(str(r['seq']) for r in busy)}) other "
                  f"processes used more than {BUSY_PCT:g} % of the CPUs; those values are slowed by the neighbours, not by "
                  f"the code, and the ratios below are not trustworthy. Re-run on a quiet machine.")
    if a.note:
        md.append(f"- note: {a.note}")
    md.append("")
    md.append(f"| measurement | before median img/s | after median img/s | after / before | 95 % interval (bootstrap) | "
              f"per-round ratios | verdict (±{a.tolerance:g} %) |")
    md.append("|---|---|---|---|---|---|---|")
    for key, _, _ in MEASUREMENTS:
        if key not in stats:
            continue
        s = stats[key]
        lo, hi = s["bootstrap_95"]
        md.append(f"| {s['label']} | {s['before']['median']:.1f} | {s['after']['median']:.1f} | "
                  f"{s['ratio']:.3f} ({pct(s['ratio'])}) | {lo:.3f}–{hi:.3f} | "
                  f"{', '.join(f'{x:.3f}' for x in s['paired_ratios'])} | {s['verdict']} |")
    md.append("")
    md.append("Every value (img/s, in run order) and the run-to-run spread of each side (coefficient of variation):")
    md.append("")
    md.append("| measurement | before | before CV | after | after CV |")
    md.append("|---|---|---|---|---|")
    for key, _, _ in MEASUREMENTS:
        if key not in stats:
            continue
        s = stats[key]
        md.append(f"| {s['label']} | {', '.join(f'{x:.1f}' for x in s['before']['values'])} | {s['before']['cv'] * 100:.1f} % | "
                  f"{', '.join(f'{x:.1f}' for x in s['after']['values'])} | {s['after']['cv'] * 100:.1f} % |")
    md.append("")
    md.append("Runs in order (others = share of all CPUs used by other processes during the run; steal = CPU time taken by "
              "the hypervisor; load = 1-minute load average at the start, this benchmark's own threads included; wait = "
              "seconds waited for a quiet moment before the run; CPU s = the measured part's own user / system time):")
    md.append("")
    md.append("| # | round | side | start (UTC) | wall s | others % | steal % | load | wait s | training step | end-to-end epoch | "
              "compute epoch | user / system CPU s |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        res = r["result"]
        g = lambda k: f"{res[k]['img_per_s']:.1f}" if k in res else "—"
        cpu = res.get("cpu", {})
        md.append(f"| {r['seq']} | {r['round']} | {r['side']} | {r['start_utc'][11:19]} | {r['wall_s']:.1f} | "
                  f"{r['foreign_cpu_pct']:.1f} | {r['steal_pct']:.1f} | {r['load1']:.2f} | {r['settle_s']} | "
                  f"{g('train_step')} | {g('e2e_epoch')} | {g('compute_epoch')} | "
                  f"{cpu.get('user_s', '—')} / {cpu.get('system_s', '—')} |")
    md.append("")
    md.append(
        "After / before is the ratio of the medians (above 1: after is faster). The interval resamples each side's runs "
        "(10,000 draws); with 3–5 runs per side it is coarse and cannot be narrower than the runs agree. \"Not resolved\" "
        "means this run cannot tell whether the change is inside the band: add rounds (`--rounds`) or run on a quieter "
        "machine. Both binaries come from fresh worktrees built the same way, so a ratio far from 1 between identical "
        "library code is noise, not code.")
    text = "\n".join(md) + "\n"

    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(text)
    results = {
        "before": {"label": a.before, "sha": a.before_sha},
        "after": {"label": a.after, "sha": a.after_sha},
        "settings": {"budget_s": a.budget, "images": a.images, "threads": a.threads, "workers": a.workers,
                     "order": a.order, "rounds": len(rounds), "tolerance_pct": a.tolerance, "batch": 50},
        "machine": {"cpus": a.cpus, "cpu_model": a.cpu_model},
        "build_seconds": a.build_seconds,
        "total_seconds": a.total_seconds,
        "note": a.note,
        "stats": stats,
        "runs": runs,
    }
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
