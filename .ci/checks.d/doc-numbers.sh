#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# The numbers that drift between the code and the prose (issue 28, item 8). Fails, naming file:line and the fix, when
#  1. a ConvViz or ConvViz.Interactive package version written in README.md, docs/, samples/, the Interactive
#     README or the notebook generator (#r "nuget: ConvViz…, X", #:package ConvViz@X, --version X after
#     "add package ConvViz", "ConvViz X", packages/convviz/X) differs from <Version> in src/ConvViz/ConvViz.csproj
#     (and the two projects' versions differ from each other);
#  2. the blog's run is quoted with other numbers than the blog's: 100 epochs, validation_steps = 10, files 1–2000
#     for training and 2001–3000 for testing. Checked are phrases that tie a number to the blog anywhere ("the blog's
#     30 epochs", "the blog trains for 30", "the blog: 100 epochs", "the blog's validation_steps = 10") and every
#     number of the sections that present the blog's real run (BLOG_SECTIONS below: epochs, Epochs =, Epoch 1/N,
#     validation_steps, ValidationSteps, ByFileNumbers("train"/"test", …), cat.N–M ranges);
#  3. a documented default ("`Name` (default X)", "`Name` (X)", "`Name` … defaults to X") of an options property
#     differs from the property's initialiser in src/ConvViz (properties whose name has different defaults in
#     different options records are skipped).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec python3 - "$@" <<'PY'
import glob, os, re, sys

BLOG = {"epochs": "100", "validation_steps": "10", "train": ("1", "2000"), "test": ("2001", "3000")}
# (file, heading text): sections that show the blog's own run, not the bundled demo.
BLOG_SECTIONS = [("docs/keras-to-convviz.md", "The blog as one program"), ("docs/performance.md", "The blog's full run")]

errors = []

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

def version_of(csproj):
    m = re.search(r"<Version>([^<]+)</Version>", read(csproj))
    return m.group(1) if m else None

version = version_of("src/ConvViz/ConvViz.csproj")
interactive = version_of("src/ConvViz.Interactive/ConvViz.Interactive.csproj")
if version is None:
    errors.append("src/ConvViz/ConvViz.csproj: no <Version>; the doc check needs it")
if interactive != version:
    errors.append(f"src/ConvViz.Interactive/ConvViz.Interactive.csproj: <Version>{interactive}</Version> differs from "
                  f"ConvViz's {version}; release both packages with one version")

files = ["README.md", "src/ConvViz.Interactive/README.md", "eng/make-blog-notebook.py"]
files += sorted(glob.glob("docs/**/*.md", recursive=True))
files += sorted(p for ext in ("md", "cs", "ipynb", "py") for p in glob.glob(f"samples/**/*.{ext}", recursive=True)
                if "/bin/" not in p and "/obj/" not in p)

V = r"(\d+\.\d+\.\d+(?:-[\w.]+)?)"
version_patterns = [
    re.compile(r"nuget:\s*ConvViz(?:\.Interactive)?\s*,\s*" + V, re.I),
    re.compile(r"#:package\s+ConvViz(?:\.Interactive)?@" + V),
    re.compile(r"add package ConvViz(?:\.Interactive)?\s+--version\s+" + V),
    re.compile(r"Include=\\?\"ConvViz(?:\.Interactive)?\\?\"\s+Version=\\?\"" + V),
    re.compile(r"packages/convviz(?:\.interactive)?/" + V, re.I),
    re.compile(r"\bConvViz(?:\.Interactive)?\s+" + V),
]

def lines_of(path):
    text = read(path)
    if path.endswith(".ipynb"):
        # Only the cells' sources: outputs hold rendered HTML that is not prose.
        import json
        nb = json.loads(text)
        out = []
        for cell in nb.get("cells", []):
            src = cell.get("source", [])
            out.extend((src if isinstance(src, list) else src.splitlines(True)))
        text = "".join(out)
    return text.split("\n")

for path in files:
    for no, line in enumerate(lines_of(path), 1):
        for pat in version_patterns:
            for m in pat.finditer(line):
                if m.group(1) != version:
                    errors.append(f"{path}:{no}: ConvViz version {m.group(1)}, but src/ConvViz/ConvViz.csproj says "
                                  f"{version}: write {version} (\"{m.group(0)}\")")

# 2. The blog's numbers.
phrase_epochs = [
    re.compile(r"\bblog(?:'s|’s|\\'s)?\s+(\d+)\s+epochs", re.I),
    re.compile(r"\bblog\s+(?:itself,?\s+)?trains?\s+(?:for\s+)?(\d+)", re.I),
    re.compile(r"\bblog(?:\s+itself)?\s*[:,]\s*(\d+)\s+epochs", re.I),
    re.compile(r"\bblog's\s+run\D{0,20}(\d+)\s+epochs", re.I),
]
phrase_steps = [re.compile(r"\bblog(?:'s|’s)?\s+validation_steps\s*=\s*(\d+)", re.I)]
for path in files:
    for no, line in enumerate(lines_of(path), 1):
        for pat in phrase_epochs:
            for m in pat.finditer(line):
                if m.group(1) != BLOG["epochs"]:
                    errors.append(f"{path}:{no}: the blog trains for {BLOG['epochs']} epochs, not {m.group(1)} (\"{m.group(0)}\")")
        for pat in phrase_steps:
            for m in pat.finditer(line):
                if m.group(1) != BLOG["validation_steps"]:
                    errors.append(f"{path}:{no}: the blog's validation_steps is {BLOG['validation_steps']}, not {m.group(1)}")

section_checks = [
    (re.compile(r"\bepochs\s*=\s*(\d+)", re.I), "epochs", "epochs"),
    (re.compile(r"\b(\d+)\s+epochs\b"), "epochs", "epochs"),
    (re.compile(r"\bEpoch\s+1/(\d+)"), "epochs", "epochs"),
    (re.compile(r"\bvalidation_?steps\s*=\s*(\d+)", re.I), "validation_steps", "validation_steps"),
]
split_pattern = re.compile(r"ByFileNumbers\(\s*\"(train|test)\"\s*,\s*(\d+)\s*,\s*(\d+)\s*\)")
range_pattern = re.compile(r"\b(?:cat|dog)\.(\d+)[–-](\d+)")
for path, heading in BLOG_SECTIONS:
    if not os.path.exists(path):
        errors.append(f"{path}: missing; update BLOG_SECTIONS in .ci/checks.d/doc-numbers.sh")
        continue
    lines = read(path).split("\n")
    start = next((i for i, l in enumerate(lines) if l.lstrip("#").strip() == heading and l.startswith("#")), None)
    if start is None:
        errors.append(f"{path}: no heading '{heading}'; update BLOG_SECTIONS in .ci/checks.d/doc-numbers.sh")
        continue
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    fence = False
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith("#") and len(line) - len(line.lstrip("#")) <= level:
            break
        where = f"{path}:{i + 1} (section '{heading}')"
        for pat, key, name in section_checks:
            for m in pat.finditer(line):
                if m.group(1) != BLOG[key]:
                    errors.append(f"{where}: the blog's {name} is {BLOG[key]}, not {m.group(1)} (\"{m.group(0)}\")")
        for m in split_pattern.finditer(line):
            if (m.group(2), m.group(3)) != BLOG[m.group(1)]:
                a, b = BLOG[m.group(1)]
                errors.append(f"{where}: the blog's {m.group(1)} files are {a}–{b}: ByFileNumbers(\"{m.group(1)}\", {a}, {b})")
        for m in range_pattern.finditer(line):
            if (m.group(1), m.group(2)) not in (BLOG["train"], BLOG["test"]):
                errors.append(f"{where}: {m.group(0)} is neither the blog's training files 1–2000 nor its test files 2001–3000")

# 3. Documented defaults of options properties.
defaults = {}
for path in glob.glob("src/ConvViz/**/*Options.cs", recursive=True):
    text = read(path)
    for m in re.finditer(r"public\s+(?!static|sealed|abstract|record|class|enum)[\w?<>\[\], ]+?\s+(\w+)\s*\{", text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        init = re.match(r"\s*=\s*([-\d.]+)[fdmFDM]?\s*;", text[i + 1:])
        if init:
            defaults.setdefault(m.group(1), set()).add(init.group(1))
doc_default = re.compile(r"`(\w+)`\s*(?:\((?:default\s+)?([-\d.]+)\)|\([^)]*?,\s*default\s+([-\d.]+)\)|(?:defaults? to|default value is)\s+([-\d.]+))")
for path in ["README.md"] + sorted(glob.glob("docs/**/*.md", recursive=True)):
    for no, line in enumerate(read(path).split("\n"), 1):
        for m in doc_default.finditer(line):
            name, value = m.group(1), next(g for g in m.groups()[1:] if g is not None)
            known = defaults.get(name)
            if not known or len(known) != 1:
                continue
            (actual,) = known
            if float(value.rstrip(".")) != float(actual):
                errors.append(f"{path}:{no}: `{name}` defaults to {actual} in src/ConvViz, the text says {value}")

if errors:
    print("doc-numbers: the docs contradict the code or the blog:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print(f"doc-numbers: version {version}, the blog's numbers and {sum(len(v) == 1 for v in defaults.values())} option defaults agree across {len(files)} files")
PY
