# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A loopback TCP relay for tests: --listen 127.0.0.1:PORT --target 127.0.0.1:PORT.

Tests point a host at the relay instead of the S3 endpoint, then stop the relay to take
the endpoint away without losing what the endpoint stores.

--latency-ms D holds every chunk D/2 ms in each direction, so each round trip through the
relay takes D ms longer, as over a home uplink to S3; chunks are not held back by the ones
before them, so the relay adds delay, not a bandwidth limit.

--rate-kbps R also caps what each connection carries at R kilobytes a second in each
direction (a chunk waits for the ones before it to have passed at that rate). It models a
path where one TCP connection cannot fill the uplink (a window-limited or lossy long-haul
flow), so that several connections carry more than one; the connections are not limited
together.
"""

import argparse
import asyncio


async def pipe(reader, writer, delay, rate=0.0):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    free_at = 0.0

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                return
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if delay or rate:
                free_at = max(loop.time(), free_at) + (len(data) / rate if rate else 0.0)
                queue.put_nowait((free_at + delay, data))
            else:
                writer.write(data)
                await writer.drain()
        queue.put_nowait((max(loop.time(), free_at) + delay, None))
        await sender
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sender.cancel()
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every round trip (default 0)")
    parser.add_argument("--rate-kbps", type=float, default=0.0,
                        help="kilobytes a second each connection carries each way (default 0: no limit)")
    args = parser.parse_args()
    listen_host, listen_port = args.listen.rsplit(":", 1)
    target_host, target_port = args.target.rsplit(":", 1)
    if listen_host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("tcp_proxy listens on loopback only")
    if target_host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("tcp_proxy relays to loopback only")
    delay = max(args.latency_ms, 0.0) / 2000.0
    rate = max(args.rate_kbps, 0.0) * 1000.0

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target_host, int(target_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer, delay, rate),
                             pipe(upstream_reader, client_writer, delay, rate))

    server = await asyncio.start_server(handle, listen_host, int(listen_port))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
