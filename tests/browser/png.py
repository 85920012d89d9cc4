#!/usr/bin/python3
"""Just enough PNG for the browser test, with the standard library only.

    png.py stats FILE                   size, distinct colours, share of pixels
                                        unlike the most common one
    png.py shrink IN OUT [--scale K] [--top Y] [--height H]
                                        crop rows Y..Y+H, average KxK blocks,
                                        write an 8-bit RGB PNG
    png.py stack OUT IN:TOP:HEIGHT...   crop and stack regions (of screenshots
                                        of the same width), with a thin rule
                                        between them: the README's screenshot

Reads 8-bit RGB/RGBA, non-interlaced PNGs (what Chromium's --screenshot writes).
"""
import struct
import sys
import zlib


def read(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("%s: only 8-bit RGB/RGBA, non-interlaced" % path)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    if bpp == 4:   # drop alpha
        rows = [bytearray(b for i, b in enumerate(r) if i % 4 != 3) for r in rows]
    return w, h, rows


def _filtered(rows):
    """Per row, the cheapest of None, Sub and Up (sum of bytes as signed)."""
    out, prev = [], bytes(len(rows[0])) if rows else b""
    for r in rows:
        r = bytes(r)
        sub = bytes((r[i] - (r[i - 3] if i >= 3 else 0)) & 255 for i in range(len(r)))
        up = bytes((a - b) & 255 for a, b in zip(r, prev))
        cost = lambda d: sum(x if x < 128 else 256 - x for x in d)
        best = min(((cost(r), 0, r), (cost(sub), 1, sub), (cost(up), 2, up)), key=lambda c: c[0])
        out.append(bytes([best[1]]) + best[2])
        prev = r
    return b"".join(out)


def write(path, w, h, rows):
    raw = _filtered(rows)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def stats(path):
    w, h, rows = read(path)
    colours = {}
    for r in rows:
        for i in range(0, len(r), 3):
            c = bytes(r[i:i + 3])
            colours[c] = colours.get(c, 0) + 1
    common = max(colours.values())
    return w, h, len(colours), 1 - common / (w * h)


def shrink(src, dst, scale=2, top=0, height=None):
    w, h, rows = read(src)
    rows = rows[top:top + height if height else h]
    ow, oh = w // scale, len(rows) // scale
    out = []
    for y in range(oh):
        block = rows[y * scale:(y + 1) * scale]
        line = bytearray(ow * 3)
        for x in range(ow):
            for ch in range(3):
                s = 0
                for r in block:
                    for dx in range(scale):
                        s += r[(x * scale + dx) * 3 + ch]
                line[x * 3 + ch] = s // (scale * scale)
        out.append(line)
    write(dst, ow, oh, out)


def stack(dst, parts):
    out, width = [], None
    for part in parts:
        src, top, height = part.rsplit(":", 2)
        w, h, rows = read(src)
        if width is not None and w != width:
            raise ValueError("%s: width %d, not %d" % (src, w, width))
        if out:
            out += [bytearray(b"\xdf\xe3\xea" * w) for _ in range(2)]
        width = w
        out += rows[int(top):int(top) + int(height)]
    write(dst, width, len(out), out)


def main(argv):
    if len(argv) >= 2 and argv[0] == "stats":
        w, h, n, busy = stats(argv[1])
        print("%dx%d %d colours %.1f%% non-background" % (w, h, n, busy * 100))
        return 0
    if len(argv) >= 3 and argv[0] == "shrink":
        opt = lambda k, d: int(argv[argv.index(k) + 1]) if k in argv else d
        shrink(argv[1], argv[2], opt("--scale", 2), opt("--top", 0), opt("--height", None))
        return 0
    if len(argv) >= 3 and argv[0] == "stack":
        stack(argv[1], argv[2:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
