#!/usr/bin/env bash
# ONNX export (issue 27): every model the ONNX tests export is written to a temporary folder
# (CONVVIZ_ONNX_EXPORT_DIR) and must pass the onnx package's checker with full_check=True (Debian's python3-onnx,
# installed here when missing and running as root). The tests themselves compare ONNX Runtime's outputs with ConvViz's.
# Tests were built by .ci/run's Release build.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
py=/usr/bin/python3
if ! "$py" -c "import onnx" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-onnx) >/dev/null 2>&1 \
      || { echo "onnx-checker: could not install python3-onnx"; exit 1; }
  else
    echo "onnx-checker: python3-onnx is missing (apt-get install python3-onnx)"; exit 1
  fi
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
if ! out="$(CONVVIZ_ONNX_EXPORT_DIR="$dir" eng/run-with-libtorch.sh dotnet test tests/ConvViz.Tests -c Release --no-build \
    --filter "FullyQualifiedName~ConvViz.Tests.Models.OnnxExportTests" 2>&1)"; then
  echo "onnx-checker: the ONNX export tests failed:"; grep -vE '^\s+at ' <<<"$out" | tail -n 40; exit 1
fi
echo "onnx-checker: tests $(grep -E 'Passed!|Failed!' <<<"$out" | tail -n 1)"
"$py" - "$dir" <<'PY'
import glob, os, sys
import onnx
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
if not files:
    sys.exit("onnx-checker: no exported models were written")
# An older onnx (bookworm's 1.12: opset 17, IR 8) cannot check newer opsets; those files are counted as skipped.
max_opset, max_ir = onnx.defs.onnx_opset_version(), onnx.IR_VERSION
failed = skipped = 0
for path in files:
    model = onnx.load(path)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset > max_opset or model.ir_version > max_ir:
        skipped += 1
        continue
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # the checker raises ValidationError or InferenceError
        failed += 1
        print(f"onnx-checker: {os.path.basename(path)}: {e}")
checked = len(files) - skipped
print(f"onnx-checker: onnx {onnx.__version__} (opset <= {max_opset}, IR <= {max_ir}) full_check: {checked - failed} of {checked} exported models pass"
      + (f", {skipped} with a newer opset or IR version skipped" if skipped else ""))
sys.exit(1 if failed else 0)
PY
