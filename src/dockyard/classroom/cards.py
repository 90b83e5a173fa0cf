"""Login cards for a classroom hub: one printed card per learner, with a QR code of the address.

Each card is a PNG at 300 dpi (1240x874 px, about 105x74 mm); cards.pdf puts four on each A4 page.
"""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import qrcode
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin

from dockyard.errors import DockyardError

DEFAULT_TITLE = "Docker and Kubernetes workshop"
ROOM_USER = "pick your own name"
CARD_SIZE = (1240, 874)
A4_PAGE = (2480, 3508)
QR_REGION = 600          # the QR's square, quiet zone included; a phone reads it from 50 cm
MARGIN = 40
TEXT_LEFT = MARGIN + QR_REGION + 40
TEXT_WIDTH = CARD_SIZE[0] - MARGIN - TEXT_LEFT
MANIFEST = "cards.json"
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Card:
    user: str
    url: str
    password: str | None
    title: str


def learner_names(count: int, prefix: str = "learner") -> list[str]:
    if not 1 <= count <= 500:
        raise DockyardError(f"cannot make {count} learner names", "choose a room size from 1 to 500")
    width = 3 if count >= 100 else 2
    return [f"{prefix}{n:0{width}d}" for n in range(1, count + 1)]


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DockyardError(f"the hub address {url!r} is not an http(s) URL",
                            "give the full address, e.g. http://192.168.1.20:8000/")
    return url.strip() if url.strip().endswith("/") else url.strip() + "/"


def cards_for(url: str, users: list[str], password: str | None,
              title: str = DEFAULT_TITLE) -> list[Card]:
    base = _base_url(url)
    return [Card(user, base, password, title) for user in users]


def room_card(url: str, password: str | None, title: str = DEFAULT_TITLE) -> Card:
    # A shared-password hub lets each learner choose a name, so one card serves the whole room.
    return Card(ROOM_USER, _base_url(url), password, title)


def _qr_placement(url: str) -> tuple[list[list[bool]], int, tuple[int, int]]:
    """The module matrix (quiet zone included), the pixels per module, and the top-left corner."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    box = QR_REGION // len(matrix)
    side = box * len(matrix)
    return matrix, box, (MARGIN + (QR_REGION - side) // 2, (CARD_SIZE[1] - side) // 2)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Break at spaces; a word wider than the column (a long URL) breaks after / . : - or anywhere."""
    def fits(line: str) -> bool:
        return draw.textlength(line, font=font) <= width

    lines: list[str] = []
    for word in text.split(" "):
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
            continue
        lines.append("")
        for part in re.split(r"(?<=[/.:-])", word):
            for chunk in ([part] if fits(part) else list(part)):
                if lines[-1] and not fits(lines[-1] + chunk):
                    lines.append("")
                lines[-1] += chunk
    return lines


def render_card(card: Card) -> Image.Image:
    image = Image.new("L", CARD_SIZE, 255)
    draw = ImageDraw.Draw(image)
    matrix, box, (left, top) = _qr_placement(card.url)
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            if dark:
                x, y = left + col * box, top + row * box
                draw.rectangle((x, y, x + box - 1, y + box - 1), fill=0)
    password = card.password if card.password else "ask the presenter"
    # (text, font size, air below, grey): user and password matter most, the hint least.
    blocks = [(card.title, 40, 40, 0), (f"user: {card.user}", 48, 10, 0),
              (f"password: {password}", 48, 50, 0), (card.url, 34, 30, 0),
              ("Scan the code or type the address", 28, 0, 90)]
    placed = []
    for text, size, air, grey in blocks:
        font = ImageFont.load_default(size=size)
        lines = _wrap(draw, text, font, TEXT_WIDTH)
        placed += [(line, font, int(size * 1.25), grey) for line in lines]
        placed[-1] = (*placed[-1][:2], placed[-1][2] + air, grey)
    y = max(MARGIN, (CARD_SIZE[1] - sum(step for _, _, step, _ in placed)) // 2)  # centred beside the QR
    for line, font, step, grey in placed:
        draw.text((TEXT_LEFT, y), line, font=font, fill=grey)
        y += step
    return image


def _stem(user: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", user).strip("-.")
    if not _SAFE_STEM.match(stem):
        raise DockyardError(f"cannot name a card file after user {user!r}", "use letters, digits, - or _")
    return stem


def _pdf_page(images: list[Image.Image]) -> Image.Image:
    # Cards shrink a little so the 2x2 grid keeps clear of the printer's unprintable margin.
    gap, margin = 60, 120
    width = (A4_PAGE[0] - 2 * margin - gap) // 2
    height = round(width * CARD_SIZE[1] / CARD_SIZE[0])
    top = (A4_PAGE[1] - 2 * height - gap) // 2
    page = Image.new("L", A4_PAGE, 255)
    draw = ImageDraw.Draw(page)
    for slot, card in enumerate(images):
        x, y = margin + (slot % 2) * (width + gap), top + (slot // 2) * (height + gap)
        page.paste(card.resize((width, height), Image.Resampling.LANCZOS), (x, y))
        draw.rectangle((x - 2, y - 2, x + width + 1, y + height + 1), outline=100, width=2)  # cut guide
    # One bit per pixel: lossless and small in the PDF, where grey would become JPEG.
    return page.point(lambda v: 255 if v > 140 else 0, mode="1")


def write_cards(cards: list[Card], folder: Path) -> dict:
    if not cards:
        raise DockyardError("no cards to write", "give at least one learner")
    stems = [_stem(card.user) for card in cards]
    if len(set(stems)) != len(stems):
        raise DockyardError("two learners would share one card file", "give every learner a distinct name")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    try:
        previous = json.loads(manifest.read_text())["pngs"]
    except (OSError, ValueError, KeyError, TypeError):
        previous = []
    for stem in previous if isinstance(previous, list) else []:   # only PNGs we made; others stay
        if isinstance(stem, str) and _SAFE_STEM.match(stem) and stem not in stems:
            (folder / f"{stem}.png").unlink(missing_ok=True)
    # Recorded before drawing, so a run cut short still knows which PNGs are ours.
    manifest.write_text(json.dumps({"pngs": stems}, indent=2) + "\n")
    pngs = [folder / f"{stem}.png" for stem in stems]
    pdf = folder / "cards.pdf"
    # Pages go to a multi-page TIFF first, so the PDF writer holds one page in memory, not the room's.
    with tempfile.TemporaryFile() as spool:
        with TiffImagePlugin.AppendingTiffWriter(spool, new=True) as tiff:
            for first in range(0, len(cards), 4):
                images = [render_card(card) for card in cards[first:first + 4]]
                for image, png in zip(images, pngs[first:first + 4]):
                    image.save(png, dpi=(300, 300))
                _pdf_page(images).save(tiff, "TIFF", compression="group4")
                tiff.newFrame()
        spool.seek(0)
        with Image.open(spool) as pages:
            pages.save(pdf, "PDF", save_all=True, resolution=300)
            count = pages.n_frames
    return {"pngs": pngs, "pdf": pdf, "pages": count}
