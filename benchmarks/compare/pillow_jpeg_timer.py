# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""The Pillow half of `ConvViz.Benchmarks jpeg-vs-pillow` (run by it, not by hand).

Reads commands from stdin, one per line, and answers each with one line on stdout:

    load PATH            -> "ok SHA256 WIDTH HEIGHT" of Image.open(...).convert("RGB").tobytes() (the file is kept in memory)
    time INDEX CALLS     -> "WALL CPU": milliseconds per call of Image.open(io.BytesIO(data)).convert("RGB") over CALLS
                            calls, wall-clock and this thread's CPU time
    encode SRC DST Q PROGRESSIVE -> re-encodes SRC with Pillow's JPEG encoder (quality Q, 4:2:0), "ok"
    quit

Truncated files decode as with ImageFile.LOAD_TRUNCATED_IMAGES (the parity fixtures' policy for them).
"""

import hashlib
import io
import sys
import time

from PIL import Image, ImageFile

ImageFile.LOAD_TRUNCATED_IMAGES = True


def decode(data):
    return Image.open(io.BytesIO(data)).convert("RGB")


def main():
    files = []
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        if parts[0] == "load":
            with open(parts[1], "rb") as f:
                data = f.read()
            files.append(data)
            image = decode(data)
            print("ok", hashlib.sha256(image.tobytes()).hexdigest(), image.width, image.height, flush=True)
        elif parts[0] == "time":
            data = files[int(parts[1])]
            calls = int(parts[2])
            start = time.perf_counter()
            cpu = time.thread_time()
            for _ in range(calls):
                decode(data)
            cpu = time.thread_time() - cpu
            wall = time.perf_counter() - start
            print(wall * 1000.0 / calls, cpu * 1000.0 / calls, flush=True)
        elif parts[0] == "encode":
            image = Image.open(parts[1]).convert("RGB")
            image.save(parts[2], "JPEG", quality=int(parts[3]), subsampling=2, progressive=parts[4] == "1")
            print("ok", flush=True)
        else:
            print("error unknown command", flush=True)


if __name__ == "__main__":
    main()
