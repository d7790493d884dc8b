"""A camera filming a barcode: an EAN-13 drawn from the standard's tables, or a QR code, large and centred
on a white frame, written as a YUV4MPEG2 video for Chromium's ``--use-file-for-fake-video-capture``."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

# EAN-13 (GS1 General Specifications 5.2.1.2): the left half's digits in sets A (L) or B (G) by the
# parity pattern of the first digit; the right half in set C (R).
_L = [
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
]
_G = ["".join("1" if b == "0" else "0" for b in code)[::-1] for code in _L]
_R = ["".join("1" if b == "0" else "0" for b in code) for code in _L]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13_modules(code: str) -> str:
    """The 95 modules (``1`` = bar) of an EAN-13; 12 digits get their check digit."""
    if not re.fullmatch(r"\d{12,13}", code):
        raise ValueError(f"an EAN-13 has 12 or 13 digits, not {code!r}")
    if len(code) == 12:
        code += ean13_check_digit(code)
    elif code[12] != ean13_check_digit(code[:12]):
        raise ValueError(f"{code}: wrong check digit")
    digits = [int(d) for d in code]
    left = "".join((_L if p == "L" else _G)[d] for p, d in zip(_PARITY[digits[0]], digits[1:7], strict=True))
    right = "".join(_R[d] for d in digits[7:])
    return "101" + left + "01010" + right + "101"


def barcode_image(code: str, kind: str = "ean13", size: tuple[int, int] = (640, 480)) -> Any:
    """A white frame with the barcode large and centred."""
    from PIL import Image, ImageDraw

    frame = Image.new("L", size, 255)
    if kind == "ean13":
        modules = ean13_modules(code)
        width = max(2, (size[0] - 80) // (len(modules) + 22))  # quiet zones of 11 modules
        height = size[1] // 2
        left = (size[0] - width * len(modules)) // 2
        top = (size[1] - height) // 2
        draw = ImageDraw.Draw(frame)
        for i, bit in enumerate(modules):
            if bit == "1":
                draw.rectangle([left + i * width, top, left + (i + 1) * width - 1, top + height], fill=0)
    elif kind == "qr":
        import segno

        qr = segno.make(code, error="m")
        side = min(size) - 80
        scale = max(2, side // (qr.symbol_size(scale=1, border=4)[0]))
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=scale, border=4)
        symbol = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        frame.paste(symbol, ((size[0] - symbol.width) // 2, (size[1] - symbol.height) // 2))
    else:
        raise ValueError(f"unknown barcode kind {kind!r}: ean13 or qr")
    return frame


def write_y4m(image: Any, path: Path, frames: int = 5, fps: int = 10) -> Path:
    """A YUV4MPEG2 (4:2:0) video of ``frames`` identical frames of ``image``, as Chromium's
    ``--use-file-for-fake-video-capture`` reads (it loops the file)."""
    ycbcr = image.convert("YCbCr")
    y, cb, cr = ycbcr.split()
    half = (image.width // 2, image.height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{image.width} H{image.height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + frame)
    return path
