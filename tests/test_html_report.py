"""The HTML report and the badge: parsed as HTML5 by html5lib, escaped, self-contained; and rendered
in headless Chromium where it is installed (CI installs Debian's `chromium`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest

from relcheck.checklist.score import CHECKLIST_ITEMS, build
from relcheck.config.loader import Config
from relcheck.reporters.html import STATUSES, render_badge, render_html
from relcheck.scan.engine import scan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NS = "{http://www.w3.org/1999/xhtml}"


def _page(paths: list[Path], config: Config | None = None) -> tuple[str, object]:
    result = scan(paths, config or Config(), fixes=True)
    text = render_html(result, build(result))
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return text, parser.parse(text)


def _all(tree, tag: str) -> list:
    return list(tree.iter(f"{NS}{tag}"))


def test_the_page_is_valid_html5_with_a_matrix_of_services_and_items() -> None:
    _text, tree = _page([EXAMPLES])
    (matrix,) = [t for t in _all(tree, "table") if t.get("class") == "matrix"]
    rows = next(iter(matrix.iter(f"{NS}tbody"))).findall(f"{NS}tr")
    names = [row.find(f"{NS}th").text for row in rows]
    assert names == ["legacy-service", "enterprise-service"]  # worst first
    for row in rows:
        cells = [td for td in row.findall(f"{NS}td") if td.get("data-status")]
        assert len(cells) == len(CHECKLIST_ITEMS)
        assert all(td.get("data-status") in STATUSES for td in cells)
        marks = [span for td in cells for span in td.iter(f"{NS}span") if span.get("class") == "m"]
        assert len(marks) == len(cells) and all(span.get("aria-label") for span in marks)
    findings = next(t for t in _all(tree, "table") if t.get("id") == "findings")
    assert len(next(iter(findings.iter(f"{NS}tbody"))).findall(f"{NS}tr")) == 65
    anchors = {a.get("href") for a in _all(tree, "a")}
    targets = {f"#{element.get('id')}" for element in tree.iter() if element.get("id")}
    assert anchors and anchors <= targets  # every link is to the page itself


def test_the_page_loads_nothing_from_outside() -> None:
    text, tree = _page([EXAMPLES])
    for element in tree.iter():
        for attribute in ("src", "href", "action", "srcset", "data"):
            value = element.get(attribute)
            assert value is None or value.startswith("#"), (element.tag, attribute, value)
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text)
    assert not _all(tree, "link") and not _all(tree, "iframe") and not _all(tree, "img")
    assert all(script.get("src") is None for script in _all(tree, "script"))


def test_everything_from_the_repository_is_escaped(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    service = tmp_path / "svc"
    service.mkdir()
    (service / "Dockerfile").write_text(f'FROM node:20\nLABEL note="{hostile}"\nCMD node server.js\n')
    (service / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: '\"><img src=x onerror=alert(1)>'\nspec:\n"
        "  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
        f"    spec:\n      containers:\n        - name: '{hostile}'\n          image: 'x:1'\n"
    )
    config = Config(services={hostile: {"paths": ["svc/**"]}})
    text, tree = _page([tmp_path], config)
    assert hostile not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in text
    assert len(_all(tree, "script")) == 1 and not _all(tree, "img")
    names = [row.find(f"{NS}th").text for row in next(iter(_all(tree, "tbody"))).findall(f"{NS}tr")]
    assert hostile in names  # shown as the text it is


def test_the_badge_is_svg_with_the_score() -> None:
    result = scan([EXAMPLES], Config())
    svg = render_badge(build(result))
    document = ElementTree.fromstring(svg)
    assert document.tag == "{http://www.w3.org/2000/svg}svg"
    assert document.get("aria-label") == "readiness: 14/30"
    assert "&lt;" in render_badge(build(result), label="<x>")


def test_checklist_and_scan_write_html_and_svg(run_cli, tmp_path: Path) -> None:
    page, badge = tmp_path / "report.html", tmp_path / "badge.svg"
    code, _, _ = run_cli("checklist", str(EXAMPLES), "--format", "html", "--output", str(page))
    assert code == 1 and page.read_text().startswith("<!DOCTYPE html>")
    run_cli("checklist", str(EXAMPLES), "--format", "svg", "--output", str(badge))
    assert badge.read_text().startswith("<svg")
    run_cli("checklist", str(EXAMPLES), "--format", "svg", "--service", "enterprise-service", "--output", str(badge))
    assert 'aria-label="readiness: 14/14"' in badge.read_text()
    code, _, err = run_cli("checklist", str(EXAMPLES), "--format", "svg", "--service", "nope")
    assert code == 2 and "no service named 'nope'" in err and "enterprise-service" in err
    code, out, _ = run_cli("scan", str(EXAMPLES), "--format", "html")
    assert code == 1 and "Production readiness" in out


def test_the_job_summary_has_the_matrix(run_cli) -> None:
    _, out, _ = run_cli("scan", str(EXAMPLES), "--format", "markdown")
    matrix = out.split("### Checklist by service", 1)[1].split("\n\n", 2)[1].splitlines()
    assert matrix[0].startswith("| service | score |") and len(matrix) == 4
    assert matrix[2].startswith("| legacy-service | 0/16 | ❌")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium (Debian's chromium package)")
def test_the_page_renders_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = scan([EXAMPLES], Config(), fixes=True)
    page.write_text(render_html(result, build(result)), encoding="utf-8")
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dumped = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    dom = html5lib.parse(dumped.stdout)
    cells = [td for td in dom.iter(f"{NS}td") if td.get("data-status")]
    assert len(cells) == 2 * len(CHECKLIST_ITEMS)
    statuses = [td.get("data-status") for td in cells]
    assert statuses.count("fail") == 16 and statuses.count("pass") == 14 and statuses.count("manual") == 2
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, *flags, "--window-size=1400,900", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    colours = _png_colours(shot.read_bytes())
    # The status colours of the matrix are on the screen: fail red, pass green, manual blue.
    for status in ("fail", "pass", "manual"):
        wanted = STATUSES[status][2]
        rgb = tuple(int(wanted[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, status


def _png_colours(data: bytes) -> set[tuple[int, int, int]]:
    """The colours of a PNG screenshot (8-bit RGB or RGBA, as Chromium writes them)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type = header[0], header[1], header[2], header[3]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    found: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        for i in range(0, stride, channels * 4):
            found.add((line[i], line[i + 1], line[i + 2]))
        previous = line
    return found
