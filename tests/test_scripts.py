"""The repository's own scripts."""

import socket
import subprocess

from tests.servers import ROOT


def test_port_free_fails_fast_with_a_clear_message_on_a_busy_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = subprocess.run(
            [str(ROOT / "scripts" / "port-free"), str(port)], capture_output=True, text=True
        )
    assert taken.returncode == 1
    assert f"Port {port} on 127.0.0.1 is in use" in taken.stderr and "PORT=" in taken.stderr
    free = subprocess.run([str(ROOT / "scripts" / "port-free"), str(port)], capture_output=True)
    assert free.returncode == 0
