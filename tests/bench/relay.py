#!/usr/bin/env python3
"""A TCP relay that adds a chosen round-trip time, for benchmarks and latency tests.

    relay.py --upstream HOST:PORT --rtt-ms N [--port P] [--port-file F]

Listens on 127.0.0.1 (port 0 = a free one, written atomically to --port-file), and for every
accepted connection opens one to the upstream and copies bytes both ways, each chunk delivered
rtt/2 after it arrived (order kept, no bandwidth limit): a connect costs one round trip, as does
every request/response exchange. Counts connections and prints nothing unless --log.
Stops on SIGTERM/SIGINT. Python 3.11 standard library only.
"""
import argparse
import asyncio
import os
import signal
import sys


async def pipe(reader, writer, delay):
    """Copies reader to writer, each chunk written `delay` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    writer.write_eof()
                except (OSError, RuntimeError):
                    pass
                return
            writer.write(data)
            try:
                await writer.drain()
            except OSError:
                return

    task = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
    except OSError:
        queue.put_nowait((loop.time() + delay, None))
    await task


class Relay:
    def __init__(self, up_host, up_port, rtt_ms, log):
        self.up = (up_host, up_port)
        self.half = rtt_ms / 2000.0
        self.log = log
        self.connections = 0

    async def handle(self, cr, cw):
        self.connections += 1
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            ur, uw = await asyncio.open_connection(*self.up)
        except OSError:
            cw.close()
            return
        # the SYN/SYN-ACK round trip: the client's first bytes wait for it
        await asyncio.sleep(max(0.0, 2 * self.half - (loop.time() - t0)))
        if self.log:
            sys.stderr.write("relay: connection %d\n" % self.connections)
        await asyncio.gather(pipe(cr, uw, self.half), pipe(ur, cw, self.half),
                             return_exceptions=True)
        for w in (cw, uw):
            try:
                w.close()
            except OSError:
                pass


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


async def main_async(a):
    host, _, port = a.upstream.rpartition(":")
    relay = Relay(host or "127.0.0.1", int(port), a.rtt_ms, a.log)
    server = await asyncio.start_server(relay.handle, "127.0.0.1", a.port)
    if a.port_file:
        write_port_file(a.port_file, server.sockets[0].getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    async with server:
        await stop.wait()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="HOST:PORT to relay to")
    p.add_argument("--rtt-ms", type=float, required=True, help="round-trip time to add")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--log", action="store_true")
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
