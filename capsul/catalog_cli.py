"""`run.py` commands for what can be bought: sizes and OS images.

    run.py sizes | images                       list all, deprecated ones too, with capsuls using each
    run.py add-size ID --price 5.33 --vcpus 1 --memory-mb 512 --disk-gb 25 [--bandwidth-gb 500]
    run.py add-image ID --url URL --sha256 HEX --description "Debian 12" [--size BYTES] [--kernel F --initrd F --cmdline S]
    run.py add-image ID --file debian-12.qcow2 [--sha256 HEX] --description "Debian 12"   (placed by hand on spokes)
    run.py deprecate-size ID [--undo] | deprecate-image ID [--undo]

A size's price is never changed in place (capsuls in use are charged by it): deprecate it and
add another. Deprecated sizes and images are no longer offered; capsuls using them go on.
An image is known by its SHA-256 (docs/images.md): spokes fetch it from its URL and check it, and
a new file is a new image, never an edit of one.
"""
from __future__ import annotations

import argparse
import re
import sys
from decimal import Decimal, InvalidOperation

import aiohttp

from capsul.hub.db import catalog

COMMANDS = ("sizes", "images", "add-size", "add-image", "deprecate-size", "deprecate-image")
_ID = re.compile(catalog.ID_RE)
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}$")  # a name inside the spoke's OS image folder


def _id(value: str) -> str:
    if not _ID.match(value):
        raise argparse.ArgumentTypeError("use 1-63 of a-z 0-9 _ . - starting with a letter or digit")
    return value


def _file(value: str) -> str:
    if not _FILE.match(value) or ".." in value:
        raise argparse.ArgumentTypeError("a file name inside OS_IMAGES_DIR (no folders), e.g. debian-12.qcow2")
    return value


def _sha256(value: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise argparse.ArgumentTypeError("the image file's SHA-256: 64 hexadecimal digits (sha256sum prints it)")
    return value.lower()


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+/[^\s]{0,1990}", value):
        raise argparse.ArgumentTypeError("an http:// or https:// URL of the image file")
    return value


def _price(value: str) -> Decimal:
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError("dollars a month, e.g. 5.33") from None
    if not price.is_finite() or price < 0 or price >= 100000 or price != price.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError("dollars a month from 0 to 99999.99, at most 2 decimals")
    return price


def _count(low: int, high: int):
    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"a whole number from {low} to {high}")
        return int(value)
    return parse


def _text(value: str) -> str:
    if not 1 <= len(value) <= 200 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise argparse.ArgumentTypeError("1-200 characters on one line")
    return value


def add_parsers(commands) -> None:
    commands.add_parser("sizes", help="list sizes (deprecated ones too) and how many capsuls use each")
    commands.add_parser("images", help="list OS images (deprecated ones too) and how many capsuls use each")
    size = commands.add_parser("add-size", help="offer a new size")
    size.add_argument("id", type=_id)
    size.add_argument("--price", type=_price, required=True, help="dollars a month, e.g. 5.33")
    size.add_argument("--vcpus", type=_count(1, 256), required=True)
    size.add_argument("--memory-mb", type=_count(64, 4 * 1024 * 1024), required=True)
    size.add_argument("--disk-gb", type=_count(1, 65536), required=True)
    size.add_argument("--bandwidth-gb", type=_count(0, 10 ** 7), default=0, help="monthly transfer, for the pricing page")
    image = commands.add_parser("add-image", help="offer a new OS image, fetched by spokes from its URL and known by "
                                                  "its SHA-256")
    image.add_argument("id", type=_id)
    image.add_argument("--url", type=_url, help="where spokes fetch the image file (http or https)")
    image.add_argument("--sha256", type=_sha256, help="the file's SHA-256: its identity, checked before use")
    image.add_argument("--size", type=_count(1, 2**62), help="the file's size in bytes (default: the server's "
                                                             "Content-Length)")
    image.add_argument("--file", type=_file, help="instead of --url: a file placed by hand in each spoke's "
                                                  "OS_IMAGES_DIR (hashed by the spokes when --sha256 is not given)")
    image.add_argument("--description", type=_text, required=True, help="what people see, e.g. 'Debian 12'")
    image.add_argument("--kernel", type=_file, help="boot this kernel directly (in OS_IMAGES_DIR)")
    image.add_argument("--initrd", type=_file, help="with this initrd (needs --kernel)")
    image.add_argument("--cmdline", type=_text, help="the kernel command line (needs --kernel)")
    for kind, name in (("size", "a size"), ("image", "an OS image")):
        deprecate = commands.add_parser(f"deprecate-{kind}", help=f"stop offering {name} (capsuls using it go on)")
        deprecate.add_argument("id", type=_id)
        deprecate.add_argument("--undo", action="store_true", help="offer it again")


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command == "add-image" and (args.initrd or args.cmdline) and not args.kernel:
        parser.error("--initrd and --cmdline go with --kernel")
    if args.command == "add-image" and not (args.url or args.file):
        parser.error("give --url and --sha256 (or --file for an image placed by hand on every spoke)")
    if args.command == "add-image" and args.url and not args.sha256:
        parser.error("--url needs --sha256: the digest is the image's identity, checked before it is used")


async def content_length(url: str) -> int | None:
    """The size the server gives for the image (a HEAD request), or None."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.head(url, allow_redirects=True) as resp:
                return resp.content_length if resp.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


async def run(pool, args: argparse.Namespace) -> int:
    from capsul.hub import db

    async with db.cursor(pool) as cur:
        try:
            if args.command == "sizes":
                for s in await catalog.list_everything(cur, "vm_sizes"):
                    print(f"{s['id']:<12} ${s['dollars_per_month']:>8}/month  {s['vcpus']} vCPU  "
                          f"{s['memory_mb']} MiB  {s['disk_gb']} GB disk  {s['bandwidth_gb']} GB transfer  "
                          f"{s['capsuls']} capsul(s){'  DEPRECATED' if s['deprecated'] else ''}")
            elif args.command == "images":
                for i in await catalog.list_everything(cur, "os_images"):
                    boot = f"  kernel {i['kernel_file']}" if i["kernel_file"] else ""
                    source = f"url {i['url']}" if i["url"] else f"file {i['file_name']}"
                    digest = f"sha256 {i['sha256']}" if i["sha256"] else "sha256 not known yet"
                    print(f"{i['id']:<12} {i['description']}  {source}  {digest}{boot}  "
                          f"{i['capsuls']} capsul(s){'  DEPRECATED' if i['deprecated'] else ''}")
            elif args.command == "add-size":
                row = await catalog.add_size(cur, args.id, args.price, args.vcpus, args.memory_mb, args.disk_gb,
                                             args.bandwidth_gb)
                print(f"size {row['id']} offered: ${row['dollars_per_month']}/month, {row['vcpus']} vCPU, "
                      f"{row['memory_mb']} MiB, {row['disk_gb']} GB disk")
            elif args.command == "add-image":
                size = args.size
                if args.url and size is None:
                    size = await content_length(args.url)
                    if size is None:
                        print(f"capsul: {args.url} did not say its size (HEAD): give --size BYTES", file=sys.stderr)
                        return 2
                row = await catalog.add_image(cur, args.id, args.description, args.file, args.kernel, args.initrd,
                                              args.cmdline, url=args.url, sha256=args.sha256, size_bytes=size)
                if row["url"]:
                    print(f"OS image {row['id']} offered: {row['description']} (sha256 {row['sha256']}, "
                          f"{row['size_bytes']} bytes); spokes fetch it from {row['url']} when a capsul needs it")
                else:
                    print(f"OS image {row['id']} offered: {row['description']} ({row['file_name']}); "
                          f"put the file in OS_IMAGES_DIR on every spoke")
            else:
                table = "vm_sizes" if args.command == "deprecate-size" else "os_images"
                await catalog.set_deprecated(cur, table, args.id, not args.undo)
                print(f"{args.id} is {'offered again' if args.undo else 'no longer offered'}")
        except (db.Conflict, db.NotFound) as e:
            print(f"capsul: {e}", file=sys.stderr)
            return 2
    return 0
