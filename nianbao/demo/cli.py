"""``python -m nianbao.demo``: serve the demo portals in the foreground for manual crawling."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from nianbao.demo.server import DemoServer
from nianbao.demo.showcase import showcase_portals


def main(argv: Sequence[str] | None = None) -> int:
    """Start the proxy, print how to crawl through it, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m nianbao.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="proxy port (default: any free port)")
    parser.add_argument("--copies", type=int, default=1, help="clone the base portals N times (benchmark)")
    args = parser.parse_args(argv)
    portals = showcase_portals(args.copies)
    server = DemoServer(portals, port=args.port)
    proxy = server.start()
    print(f"nianbao demo proxy: {proxy}  ({len(portals)} portals; index at {proxy}/)")
    for portal in portals:
        print(f"  {portal.name:<12} {portal.cms:<7} {portal.homepage}")
        for url in portal.column_urls:
            print(f"               column {url}")
    print("\nCrawl a portal through the proxy:")
    for portal in portals[:3]:
        print(f"  NIANBAO_DEMO_PROXY={proxy} scrapy crawl reports -a portal={portal.name}")
    print("Ctrl-C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
