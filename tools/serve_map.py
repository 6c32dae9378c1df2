#!/usr/bin/env python
"""Serve a scene and its prediction as a web map (TiTiler tiles + a Leaflet page) on 127.0.0.1.

    python tools/serve_map.py --scene scene.tif --prediction classes.tif \\
        [--vectors polygons.gpkg] [--classes background building | --model models:/NAME@ALIAS] \\
        [--port 8765]

Prints the page's URL once the server listens; Ctrl-C stops it. ``--model`` takes the class
names from the model's card (the model that wrote the prediction).
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    from geoarena.cli.checks import ToolParser, in_range

    ap = ToolParser(description=__doc__.splitlines()[0])  # usage errors: one line, exit 2
    ap.add_argument("--scene", type=Path, help="imagery GeoTIFF/COG")
    ap.add_argument("--prediction", type=Path, help="class-map COG (tools/predict.py --output)")
    ap.add_argument("--vectors", type=Path, help="GeoPackage to draw (polygons or detections)")
    ap.add_argument("--classes", nargs="+", default=[], help="class names by value")
    ap.add_argument(
        "--model", help="models:/NAME@ALIAS or runs:/ID/model: class names from its card"
    )
    ap.add_argument("--title", default="GeoArena map")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=in_range(int, 0, 65535), default=0, help="0: a free port")
    ap.add_argument(
        "--screenshot",
        type=Path,
        help="open the page in headless Chromium, wait for the tiles, save a PNG here and exit",
    )
    args = ap.parse_args(argv)

    import uvicorn

    from geoarena.core.errors import GeoArenaError
    from geoarena.serve.mapserver import MapLayers, create_app

    classes = list(args.classes)
    if args.model and not classes:
        import mlflow

        card = mlflow.models.get_model_info(args.model).metadata.get("geoarena_card", {})
        classes = list(card.get("class_names", []))
    try:
        app = create_app(
            MapLayers(args.scene, args.prediction, args.vectors, classes, title=args.title)
        )
    except GeoArenaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = args.port or free_port(args.host)
    config = uvicorn.Config(app, host=args.host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    print(f"map: http://{args.host}:{port}/", flush=True)
    if args.screenshot is None:
        server.run()
        return 0
    import threading

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        screenshot(f"http://{args.host}:{port}/", args.screenshot)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"screenshot: {args.screenshot}")
    return 0


def screenshot(url: str, out: Path, size: tuple[int, int] = (1000, 800)) -> None:
    """The page in headless Chromium (Debian's, through playwright) once every tile loaded."""
    import shutil
    import time

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("error: --screenshot needs chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        for _ in range(50):  # the server thread may need a moment to listen
            try:
                page.goto(url)
                break
            except PlaywrightError:  # connection refused until the server listens
                time.sleep(0.2)
        page.wait_for_function("window.geoarena && window.geoarena.ready", timeout=120_000)
        page.wait_for_timeout(400)  # tile fade-in
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
