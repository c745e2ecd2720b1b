"""Runs a command against Prism serving openapi.yaml on a free loopback port.

    python3 test/with_prism.py PRISM SPEC -- COMMAND [ARGS...]

The command gets OPENAI_BASE_URL (Prism's address) and a test OPENAI_API_KEY; its exit code is ours.
"""
import os
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def main(argv) -> int:
    prism, spec, separator, *command = argv
    if separator != "--" or not command:
        print(__doc__, file=sys.stderr)
        return 2
    port = free_port()
    server = subprocess.Popen([prism, "mock", "--host", "127.0.0.1", "--port", str(port), "--errors", spec],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not wait_until_listening(port, server, 60):
            print(f"with_prism.py: {prism} did not start (run `npm ci` first)", file=sys.stderr)
            return 1
        env = dict(os.environ, OPENAI_BASE_URL=f"http://127.0.0.1:{port}", OPENAI_API_KEY="sk-prism-test")
        return subprocess.run(command, env=env).returncode
    finally:
        server.terminate()
        try:
            log, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            log, _ = server.communicate()
        if "did not pass the validation rules" in log:
            print("with_prism.py: Prism refused a request:\n" + log, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
