#!/usr/bin/env python3
"""An OS image fetched by a spoke (capsul/spoke/images/fetcher.py: streamed to a partial file, its
SHA-256 computed on the way, checked, made read-only under its digest) against a plain `curl -o` of
the same file from the same server, in one run, alternating, `--runs` times each.

The server is the image tests' (tests/image_server.py: aiohttp in a network namespace of its own,
reached over a veth pair). Needs root (the namespace).

    .venv/bin/python bench/image_fetch.py [--mib 512] [--runs 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from capsul.config import Role, load_config  # noqa: E402
from capsul.spoke.images.fetcher import ImageFetcher  # noqa: E402
from capsul.spoke.images.store import ImageStore  # noqa: E402
from tests.image_server import ImageServer  # noqa: E402


def make_file(path: Path, mib: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(mib):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            f.write(chunk)
    return digest.hexdigest()


async def by_capsul(server: ImageServer, digest: str, size: int, folder: Path) -> float:
    images = folder / "images"
    shutil.rmtree(images, ignore_errors=True)
    images.mkdir()
    config = load_config(Role.SPOKE, {"HUB_URL": "https://127.0.0.1:1", "SPOKE_HOST_TOKEN": "a" * 64, "HUB_TOKEN": "b" * 64,
                                      "OS_IMAGES_DIR": str(images), "CAPSUL_VAR_DIR": str(folder / "var")},
                         Path("/dev/null"))
    async with aiohttp.ClientSession() as session:
        fetcher = ImageFetcher(config, ImageStore(images), lambda: session)
        started = time.monotonic()
        path = await fetcher.ensure(digest, server.url("files", "image.bin"), size)
        took = time.monotonic() - started
    assert path.stat().st_size == size
    return took


async def by_curl(server: ImageServer, folder: Path) -> float:
    target = folder / "curl.bin"
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec("curl", "-sf", "-o", str(target), server.url("files", "image.bin"))
    assert await proc.wait() == 0
    took = time.monotonic() - started
    target.unlink()
    return took


async def main(mib: int, runs: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="capsul-bench-images-"))
    server = ImageServer().open()
    try:
        digest = make_file(server.folder / "image.bin", mib)
        size = mib << 20
        capsul, curl = [], []
        for _ in range(runs):
            curl.append(await by_curl(server, folder))
            capsul.append(await by_capsul(server, digest, size, folder))
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    best_capsul, best_curl = min(capsul), min(curl)
    return {"mib": mib, "runs": runs, "capsul_s": [round(t, 2) for t in capsul], "curl_s": [round(t, 2) for t in curl],
            "capsul_mib_s": round(mib / best_capsul, 1), "curl_mib_s": round(mib / best_curl, 1),
            "ratio_of_curl": round(best_curl / best_capsul, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    figures = asyncio.run(main(args.mib, args.runs))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
