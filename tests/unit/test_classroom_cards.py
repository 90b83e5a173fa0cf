"""Login cards: names, addresses, the drawn QR code, and the files a room gets."""
from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from dockyard.classroom import cards
from dockyard.errors import DockyardError

HUB = "http://192.168.1.20:8000"


def _pdf_pages(path) -> int:
    # "/Type /Pages" is the page tree itself; the word boundary leaves it out.
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def test_learner_names_are_zero_padded_to_the_room_size():
    assert cards.learner_names(3) == ["learner01", "learner02", "learner03"]
    assert cards.learner_names(99)[-1] == "learner99"
    hundred = cards.learner_names(100)
    assert hundred[0] == "learner001" and hundred[-1] == "learner100"
    assert cards.learner_names(2, prefix="dev") == ["dev01", "dev02"]
    assert len(cards.learner_names(500)) == 500


@pytest.mark.parametrize("count", [0, -1, 501])
def test_learner_names_refuse_rooms_out_of_bounds(count):
    with pytest.raises(DockyardError) as caught:
        cards.learner_names(count)
    assert "1 to 500" in caught.value.fix


@pytest.mark.parametrize("url", ["192.168.1.20:8000", "ftp://hub.example/", "http://", ""])
def test_a_hub_address_must_be_http(url):
    with pytest.raises(DockyardError) as caught:
        cards.cards_for(url, ["learner01"], "pw")
    assert "http(s)" in caught.value.what and "http://" in caught.value.fix


def test_cards_carry_the_base_url_ending_in_a_slash():
    made = cards.cards_for(HUB, ["learner01", "learner02"], "pw", title="Room 4")
    assert made == [cards.Card("learner01", HUB + "/", "pw", "Room 4"),
                    cards.Card("learner02", HUB + "/", "pw", "Room 4")]
    assert cards.cards_for("https://hub.example/", ["a"], None)[0].url == "https://hub.example/"
    room = cards.room_card(HUB, None)
    assert room.user == "pick your own name" and room.url == HUB + "/"
    assert room.title == "Docker and Kubernetes workshop"


def test_a_card_is_a_300_dpi_landscape_with_text_beside_the_code():
    image = cards.render_card(cards.Card("learner01", HUB + "/", "pw", "Workshop"))
    assert image.size == (1240, 874)
    qr_side = image.crop((0, 0, cards.TEXT_LEFT, 874))
    text_side = image.crop((cards.TEXT_LEFT, 0, 1240, 874))
    assert qr_side.getextrema() == (0, 255)
    assert text_side.getextrema()[0] < 60       # dark glyphs on white
    assert image.getpixel((1239, 873)) == 255   # white background


def test_the_drawn_code_is_the_qr_matrix_of_the_url_large_enough_to_scan():
    card = cards.Card("learner01", HUB + "/", None, "Workshop")
    image = cards.render_card(card)
    matrix, box, (left, top) = cards._qr_placement(card.url)
    assert box * len(matrix) >= 500
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            centre = (left + col * box + box // 2, top + row * box + box // 2)
            assert image.getpixel(centre) == (0 if dark else 255), (row, col)


def test_the_password_changes_only_the_text_side():
    with_pw = cards.render_card(cards.Card("learner01", HUB + "/", "secret", "W"))
    without = cards.render_card(cards.Card("learner01", HUB + "/", None, "W"))
    box = (0, 0, cards.TEXT_LEFT, 874)
    assert with_pw.crop(box).tobytes() == without.crop(box).tobytes()
    assert with_pw.tobytes() != without.tobytes()


def test_a_long_url_wraps_inside_the_card():
    url = "https://a-rather-long-hostname-for-the-workshop.example.org:8443/some/deep/prefix/path/"
    image = cards.render_card(cards.Card("learner01", url, None, "W"))
    assert image.crop((1240 - cards.MARGIN + 4, 0, 1240, 874)).getextrema() == (255, 255)


def test_write_cards_makes_pngs_and_a_pdf_of_four_per_page(tmp_path):
    folder = tmp_path / "cards"
    result = cards.write_cards(cards.cards_for(HUB, cards.learner_names(6), "pw"), folder)
    assert [p.name for p in result["pngs"]] == [f"learner0{n}.png" for n in range(1, 7)]
    assert all(p.exists() for p in result["pngs"])
    with Image.open(result["pngs"][0]) as png:
        assert png.size == (1240, 874)
        assert round(png.info["dpi"][0]) == 300
    assert result["pdf"] == folder / "cards.pdf"
    assert result["pages"] == 2 and _pdf_pages(result["pdf"]) == 2


def test_a_smaller_second_run_removes_only_its_own_stale_cards(tmp_path):
    cards.write_cards(cards.cards_for(HUB, cards.learner_names(9), "pw"), tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "learner50.png").write_bytes(b"not ours")   # looks like ours, but not in the manifest
    result = cards.write_cards(cards.cards_for(HUB, cards.learner_names(3), "pw"), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "learner01.png", "learner02.png", "learner03.png", "learner50.png"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert result["pages"] == 1 and _pdf_pages(result["pdf"]) == 1
    manifest = json.loads((tmp_path / "cards.json").read_text())
    assert manifest["pngs"] == ["learner01", "learner02", "learner03"]


def test_a_broken_manifest_removes_nothing(tmp_path):
    (tmp_path / "a.png").write_bytes(b"keep")
    (tmp_path / "cards.json").write_text(json.dumps({"pngs": "a"}))
    cards.write_cards([cards.room_card(HUB, "pw")], tmp_path)
    assert (tmp_path / "a.png").exists()
    assert (tmp_path / "pick-your-own-name.png").exists()
    (tmp_path / "cards.json").write_text("{not json")
    assert cards.write_cards([cards.room_card(HUB, "pw")], tmp_path)["pages"] == 1


def test_card_files_stay_inside_the_folder_and_never_collide(tmp_path):
    folder = tmp_path / "room"
    result = cards.write_cards(cards.cards_for(HUB, ["../evil"], None), folder)
    assert result["pngs"] == [folder / "evil.png"]
    with pytest.raises(DockyardError):
        cards.write_cards(cards.cards_for(HUB, ["ann lee", "ann/lee"], None), folder)
    with pytest.raises(DockyardError):
        cards.write_cards([], folder)
