"""The local server under a mixed load of 100 concurrent clients: no errors, and afterwards its memory
and open file descriptors back where they were before the load.

    python3 test/server/load_test.py BUILD_DIR [SECONDS]

The load comes from bench/server_load (a Beast client): a third of the clients read one batch, a third
list batches, a third download an output file, each on its own keep-alive connection. The baseline is
taken after a short warm-up of the same mix, so that the allocator's and the threads' first growth is
in it.
"""
import os
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1])
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 60
LOAD = os.path.join(BUILD, "bench", "server_load")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_test import Server, create, request_lines, upload  # noqa: E402  (takes BUILD from sys.argv)


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def load(port, seconds, paths):
    """Runs the clients, 100 in all, and returns (answered, errors) summed over the paths."""
    clients = [subprocess.Popen([LOAD, str(port), str(seconds), str(100 // len(paths)), path],
                                stdout=subprocess.PIPE, text=True) for path in paths]
    answered = errors = 0
    for client in clients:
        out, _ = client.communicate(timeout=seconds + 60)
        if client.returncode != 0:
            sys.exit(f"load_test: server_load failed: {out}")
        fields = out.split()
        answered += int(fields[0])
        errors += int(fields[1])
    return answered, errors


def settled(server, baseline_fds):
    """Waits (at most 10 s) for the server to close what the clients left."""
    deadline = time.monotonic() + 10
    while open_fds(server.process.pid) > baseline_fds and time.monotonic() < deadline:
        time.sleep(0.1)
    return open_fds(server.process.pid)


def main():
    with tempfile.TemporaryDirectory(prefix="openai-batch-load-") as work:
        server = Server(os.path.join(work, "state"))
        try:
            batch_id = create(server, upload(server, request_lines(0, 200)))
            while (batch := server.json("GET", f"/v1/batches/{batch_id}"))["status"] != "completed":
                time.sleep(0.05)
            paths = [f"/v1/batches/{batch_id}", "/v1/batches?limit=20", f"/v1/files/{batch['output_file_id']}/content"]
            idle_fds = open_fds(server.process.pid)
            _, warmup_errors = load(server.port, 3, paths)
            baseline_fds = settled(server, idle_fds)
            baseline_rss = resident_kib(server.process.pid)

            answered, errors = load(server.port, SECONDS, paths)
            fds = settled(server, baseline_fds)
            time.sleep(1)
            rss = resident_kib(server.process.pid)
            print(f"{answered} requests in {SECONDS} s from 100 clients, {errors} errors; "
                  f"RSS {baseline_rss} KiB before, {rss} KiB after; open fds {baseline_fds} before, {fds} after")
            failures = []
            if errors or warmup_errors:
                failures.append(f"{errors + warmup_errors} errors")
            if fds != baseline_fds:
                failures.append(f"{fds - baseline_fds} file descriptors left open")
            if rss > baseline_rss * 1.25 + 8192:
                failures.append(f"memory grew from {baseline_rss} KiB to {rss} KiB")
            if failures:
                sys.exit("load_test: " + "; ".join(failures))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
