"""Real server processes and an SSE reader for the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from django_sse.protocol import Event, Parser

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".test-logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


def server_env(db_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=db_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


COMMANDS = {
    "uvicorn": lambda port: [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "1",
    ],
    "daphne": lambda port: [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "tests.asgi:application",
    ],
}


class Server:
    """One ASGI server process on a free loopback port."""

    def __init__(self, kind: str, db_url: str, **env: str) -> None:
        self.kind = kind
        self.db_url = db_url
        self.env = server_env(db_url, **env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        LOGS.mkdir(exist_ok=True)
        self.log = LOGS / f"{self.kind}-{self.port}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                COMMANDS[self.kind](self.port), env=self.env, cwd=ROOT, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited early:\n{self.log.read_text()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not start on port {self.port}")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


class Nginx:
    """A real nginx in front of a server, with ``site`` (a ``server {}``
    block; ``{port}`` is where nginx listens) as its configuration."""

    def __init__(self, site: str, prefix: Path) -> None:
        executable = shutil.which("nginx") or "/usr/sbin/nginx"
        if not shutil.which(executable):
            raise RuntimeError("These tests need nginx: apt-get install nginx-light")
        self.executable = executable
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = prefix
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; client_body_temp_path {prefix}; proxy_temp_path {prefix};\n"
            f"{site.replace('{port}', str(self.port))}\n}}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        command = [self.executable, "-p", str(self.prefix), "-c", str(self.conf)]
        self.process = subprocess.Popen([*command, "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not start:\n{(self.prefix / 'error.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def uvicorn_and_daphne(db_url: str, **env: str) -> Iterator[list[Server]]:
    """Both ways of serving streams, on one database; stopped afterwards."""
    servers: list[Server] = []
    try:
        for kind in ("uvicorn", "daphne"):
            servers.append(Server(kind, db_url, **env).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


def manage(db_url: str, *args: str, **env: str) -> str:
    """Run ``manage.py`` in a separate process against the same database."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=server_env(db_url, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage {args} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Stream:
    """An open SSE connection read through the WHATWG parser.

    A background task reads the socket, so waiting with a timeout never
    cancels a read half-way.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.parser = Parser()
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self.raw = bytearray()

    async def _read(self) -> None:
        try:
            async for chunk in self.response.aiter_raw():
                self.raw.extend(chunk)
                for event in self.parser.feed(chunk):
                    if event.type != "sse-cursor":  # the stream's position, not an event
                        self._queue.put_nowait(event)
        finally:
            self._queue.put_nowait(None)  # end of stream

    @property
    def last_event_id(self) -> str:
        return self.parser.last_event_id

    async def events(self, count: int, timeout: float = 10.0) -> list[Event]:
        """Exactly the next ``count`` events (fails on timeout or stream end)."""
        taken: list[Event] = []
        async with asyncio.timeout(timeout):
            while len(taken) < count:
                event = await self._queue.get()
                if event is None:
                    raise EOFError(f"stream ended after {len(taken)} of {count} events")
                taken.append(event)
        return taken

    async def silence(self, seconds: float) -> list[Event]:
        """Whatever events arrive within ``seconds`` (tests expect none)."""
        await asyncio.sleep(seconds)
        found = []
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if event is not None:
                found.append(event)
        return found

    async def wait_cursor(self, timeout: float = 10.0) -> str:
        """Wait until the server has set a Last-Event-ID (start of stream)."""
        async with asyncio.timeout(timeout):
            while not self.parser.last_event_id:
                await asyncio.sleep(0.01)
        return self.parser.last_event_id

    async def ended(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self._reader


@contextlib.asynccontextmanager
async def open_stream(
    url: str, *, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
) -> AsyncIterator[Stream]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30.0), cookies=cookies) as http,
        http.stream("GET", url, headers=headers or {}) as response,
    ):
        assert response.status_code == 200, (response.status_code, await response.aread())
        stream = Stream(response)
        try:
            yield stream
        finally:
            await stream.close()


def npm_client_env() -> dict[str, str]:
    """The environment that builds the npm client (clients/js) from the
    stream parser of the django_sse under test (the source tree, or the
    installed wheel when the suite runs without django_sse/)."""
    import django_sse

    parser = Path(django_sse.__file__).parent / "static" / "django_sse" / "sse-parse.js"
    return dict(os.environ, SSE_PARSE_SOURCE=str(parser))
