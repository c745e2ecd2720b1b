"""Runs a command against a fresh openai-batch-server, in a fresh working directory.

    python3 test/with_local_server.py SERVER -- COMMAND [ARGS...]

The server gets its own state directory and a free loopback port; the command runs in a new temporary
directory (relative paths it is given land there) with OPENAI_BASE_URL (the server's address) and a test
OPENAI_API_KEY. Its exit code is ours; both directories are removed afterwards.
"""
import os
import subprocess
import sys
import tempfile


def main(argv) -> int:
    server_binary, separator, *command = argv
    if separator != "--" or not command:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="with-local-server-") as work:
        server = subprocess.Popen([server_binary, "--port", "0", "--state-dir", os.path.join(work, "state")],
                                  stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            if not line.startswith("listening on "):
                print(f"with_local_server.py: the server did not start: {line!r}", file=sys.stderr)
                return 1
            environment = dict(os.environ, OPENAI_BASE_URL=line.split()[-1], OPENAI_API_KEY="sk-local-test")
            command = [os.path.abspath(word) if os.path.exists(word) else word for word in command]
            return subprocess.run(command, env=environment, cwd=work, timeout=300).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
