"""Seeds for the page_file fuzz target: small pages (a little over the 200-pixel minimum
side) stored each way an archive's files store them, so the fuzzer starts inside every
reader instead of having to find PNG's, TIFF's, PDF's and OFD's structures by chance.

    python3 fuzz/seed_pages.py OUT_DIR

Needs Pillow and img2pdf (scripts/fuzz.sh installs them in a venv); uses libtiff's tiffcp
for the TIFF layouts Pillow does not write (tiles, bits least significant first, BigTIFF,
separate planes) when it is installed. The committed fixtures of scans/tests/fixtures are
copied beside them.
"""

import io
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw

W, H = 240, 216


def page(mode="L"):
    """A ruled little table with some strokes in it: ink on paper, not a blank page."""
    im = Image.new("L", (W, H), 235)
    d = ImageDraw.Draw(im)
    for y in range(20, H, 48):
        d.line([(10, y), (W - 10, y)], fill=20, width=2)
    for x in (10, 90, W - 10):
        d.line([(x, 20), (x, H - 4)], fill=20, width=2)
    for i in range(5):
        d.rectangle([20 + 12 * i, 30, 26 + 12 * i, 58], fill=40)
    if mode == "1":
        return im.point(lambda v: 255 if v > 128 else 0).convert("1")
    return im.convert(mode)


def save(out, name, im, **kw):
    im.save(out / name, **kw)


def exif_turned():
    exif = Image.Exif()
    exif[0x0112] = 6
    return exif


def images(out):
    save(out, "grey.png", page())
    save(out, "rgb.png", page("RGB"))
    save(out, "palette.png", page("P"))
    save(out, "bilevel.png", page("1"))
    save(out, "grey16.png", page("I;16"))
    save(out, "grey-alpha.png", page("LA"))
    save(out, "turned.png", page(), exif=exif_turned())
    save(out, "grey.jpg", page(), quality=60)
    save(out, "rgb-progressive.jpg", page("RGB"), quality=60, progressive=True)
    save(out, "cmyk.jpg", page("CMYK"), quality=60)
    save(out, "turned.jpg", page(), quality=60, exif=exif_turned())


def tiffs(out):
    for compression in ["raw", "packbits", "tiff_lzw", "tiff_adobe_deflate", "jpeg"]:
        save(out, f"grey-{compression}.tif", page(), compression=compression)
    for compression in ["group3", "group4", "packbits"]:
        save(out, f"bilevel-{compression}.tif", page("1"), compression=compression)
    save(out, "palette.tif", page("P"), compression="tiff_lzw")
    save(out, "cmyk.tif", page("CMYK"), compression="tiff_lzw")
    save(out, "grey16.tif", page("I;16"), compression="tiff_adobe_deflate")
    save(out, "rgb.tif", page("RGB"), compression="tiff_lzw")
    first, *rest = [page(), page("1"), page("RGB")]
    save(out, "volume.tif", first, compression="tiff_lzw", save_all=True, append_images=rest)
    if shutil.which("tiffcp") is None:
        return
    for name, source, args in [
        ("tiled-lzw.tif", "grey-raw.tif", ["-c", "lzw", "-t", "-w", "64", "-l", "64"]),
        ("lsb2msb-g4.tif", "bilevel-group4.tif", ["-c", "g4", "-f", "lsb2msb"]),
        ("lsb2msb-g3-2d.tif", "bilevel-group4.tif", ["-c", "g3:2d:fill", "-f", "lsb2msb"]),
        ("bigtiff.tif", "volume.tif", ["-8", "-c", "lzw"]),
        ("planes.tif", "rgb.tif", ["-p", "separate", "-c", "zip"]),
        ("strips-of-16.tif", "grey-raw.tif", ["-r", "16", "-c", "lzw:2"]),
    ]:
        subprocess.run(["tiffcp", *args, str(out / source), str(out / name)], check=True)


def pdf_object(n, body):
    return f"{n} 0 obj\n".encode() + body + b"\nendobj\n"


def handmade_pdf(rotate, matrix, bits, colour_space, samples):
    """One page whose scan is drawn inside a form XObject, placed by `matrix`, on a page
    turned by `rotate`: raw samples of `bits` per component behind FlateDecode."""
    data = zlib.compress(samples)
    content = f"q {matrix} cm /Fm0 Do Q".encode()
    form = b"q 1 0 0 1 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {W} {H}] /Rotate {rotate} "
        "/Resources << /XObject << /Fm0 5 0 R >> >> /Contents 4 0 R >>".encode(),
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        f"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im0 6 0 R >> >> "
        f"/Length {len(form)} >>\nstream\n".encode() + form + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {W} /Height {H} /ColorSpace {colour_space} "
        f"/BitsPerComponent {bits} /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream",
    ]
    pdf = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += pdf_object(n, body)
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for o in offsets:
        pdf += f"{o:010d} 00000 n \n".encode()
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(pdf)


def pdfs(out):
    (out / "jpeg.pdf").write_bytes(img2pdf.convert((out / "grey.jpg").read_bytes()))
    (out / "flate.pdf").write_bytes(img2pdf.convert((out / "rgb.png").read_bytes()))
    (out / "ccitt.pdf").write_bytes(img2pdf.convert((out / "bilevel-group4.tif").read_bytes()))
    (out / "two-pages.pdf").write_bytes(
        img2pdf.convert([(out / "grey.png").read_bytes(), (out / "grey.jpg").read_bytes()])
    )
    jp2 = out / "bilevel-page.jp2"
    if jp2.exists():
        (out / "jpx.pdf").write_bytes(img2pdf.convert(jp2.read_bytes()))
    grey = page().tobytes()
    bits = page("1").tobytes()
    palette = bytes(range(0, 256, 64))
    (out / "form-rotated.pdf").write_bytes(handmade_pdf(90, f"{W} 0 0 {H} 0 0", 8, "/DeviceGray", grey))
    (out / "matrix-turned.pdf").write_bytes(handmade_pdf(0, f"0 {H} -{W} 0 {W} 0", 1, "/DeviceGray", bits))
    (out / "indexed.pdf").write_bytes(
        handmade_pdf(
            180,
            f"{W} 0 0 {H} 0 0",
            8,
            f"[/Indexed /DeviceGray 3 <{palette.hex()}>]",
            bytes(v // 64 for v in grey),
        )
    )


def ofd(out):
    """A minimal OFD package: its entry, a document of one page, the page's image."""
    png = io.BytesIO()
    page().save(png, format="PNG")
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    parts = {
        "OFD.xml": f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
        "</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID>"
        f'<ofd:PageArea><ofd:PhysicalBox>0 0 {W} {H}</ofd:PhysicalBox></ofd:PageArea>'
        "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
        '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/DocumentRes.xml": f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>'
        '<ofd:MultiMedia ID="2" Type="Image"><ofd:MediaFile>page.png</ofd:MediaFile></ofd:MultiMedia>'
        "</ofd:MultiMedias></ofd:Res>",
        "Doc_0/Pages/Page_0/Content.xml": f"<ofd:Page {ns}><ofd:Content><ofd:Layer ID=\"3\">"
        f'<ofd:ImageObject ID="4" ResourceID="2" Boundary="0 0 {W} {H}" CTM="{W} 0 0 {H} 0 0"/>'
        "</ofd:Layer></ofd:Content></ofd:Page>",
    }
    with zipfile.ZipFile(out / "page.ofd", "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, xml)
        z.writestr("Doc_0/Res/page.png", png.getvalue())


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    fixtures = Path(__file__).resolve().parent.parent / "scans" / "tests" / "fixtures"
    for f in fixtures.iterdir():
        shutil.copy(f, out / f.name)
    images(out)
    tiffs(out)
    pdfs(out)
    ofd(out)
    print(f"{sum(1 for _ in out.iterdir())} seeds in {out}")


if __name__ == "__main__":
    main()
