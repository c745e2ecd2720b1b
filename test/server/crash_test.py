"""The local server killed with SIGKILL while it processes batches, then restarted: every batch completes
with each request answered exactly once, nothing lost and nothing written twice.

    python3 test/server/crash_test.py BUILD_DIR [-v]

Deterministic kills use the server's save-point hook (OPENAI_BATCH_CRASH_AT=N kills the process
at its Nth durable write, before or after the write is synced); random kills are `kill -9` at random
moments. Everything runs on 127.0.0.1, each server on a fresh state directory.
"""
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build"
SERVER = os.path.join(BUILD, "tools", "batch_server", "openai-batch-server")
HEADERS = {"Authorization": "Bearer sk-crash"}


class Server:
    """openai-batch-server on a state directory; `crash_at` arms the save-point hook."""

    def __init__(self, state, *flags, crash_at=None):
        env = dict(os.environ)
        env.pop("OPENAI_BATCH_CRASH_AT", None)
        if crash_at is not None:
            env["OPENAI_BATCH_CRASH_AT"] = str(crash_at)
        self.process = subprocess.Popen([SERVER, "--state-dir", state, *flags], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the server did not start: {line}{self.process.stdout.read()}")
        self.port = int(line.split(":")[-1].split("/")[0])
        # What the server says later is kept (and shown if a test fails): a full pipe would block it.
        self.said = []
        self.reader = threading.Thread(target=lambda: self.said.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def call(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(HEADERS, **(headers or {})))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, method, path, body=None, headers=None):
        status, data = self.call(method, path, body, headers)
        if status != 200:
            raise AssertionError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def died(self, timeout):
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        """SIGTERM unless it has already ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        self.process.stdout.close()
        self.process.stdout.close()
        if self.said:
            print("".join(self.said), file=sys.stderr, end="")

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        self.process.stdout.close()


def request_lines(batch, count):
    """count chat requests; every 7th lacks its messages, so the error file has lines too."""
    lines = []
    for i in range(count):
        body = {"model": "gpt-4o-mini"}
        if i % 7:
            body["messages"] = [{"role": "user", "content": f"request {i} of batch {batch}"}]
        lines.append(json.dumps({"custom_id": f"b{batch}-{i}", "method": "POST", "url": "/v1/chat/completions",
                                 "body": body}))
    return "\n".join(lines) + "\n"


def upload(server, text):
    boundary = "crashtestboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\r\n"
            f"{text}\r\n--{boundary}--\r\n").encode()
    return server.json("POST", "/v1/files", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})["id"]


def create(server, file_id):
    return server.json("POST", "/v1/batches", json.dumps(
        {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}),
        {"Content-Type": "application/json"})["id"]


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="openai-batch-crash-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def prepare(self, state, batches, requests):
        """Uploads and creates the batches on a server that stops before it processes any (a long
        validating step), so that the save points counted afterwards are all processing's."""
        server = Server(state, "--step-ms", "60000")
        try:
            ids = [create(server, upload(server, request_lines(b, requests))) for b in range(batches)]
        finally:
            server.stop()
        return ids

    def finish(self, state, ids, requests):
        """Restarts the server unarmed, waits for every batch to end and checks every result."""
        server = Server(state)
        try:
            deadline = time.monotonic() + 120
            batches = {}
            while len(batches) < len(ids):
                self.assertLess(time.monotonic(), deadline, "the batches did not complete after the restart")
                for batch_id in ids:
                    batch = server.json("GET", f"/v1/batches/{batch_id}")
                    if batch["status"] in ("completed", "failed", "expired", "cancelled"):
                        batches[batch_id] = batch
                time.sleep(0.05)
            for number, batch_id in enumerate(ids):
                self.check(server, batches[batch_id], number, requests)
            files = server.json("GET", "/v1/files?purpose=batch_output")["data"]
            self.assertEqual(len(files), 2 * len(ids), "one output and one error file per batch, never a second")
        finally:
            server.stop()

    def check(self, server, batch, number, requests):
        self.assertEqual(batch["status"], "completed", batch)
        output = self.lines(server, batch["output_file_id"])
        errors = self.lines(server, batch["error_file_id"])
        ids = [line["custom_id"] for line in output + errors]
        self.assertEqual(len(ids), requests, "a request answered twice or not at all")
        self.assertEqual(set(ids), {f"b{number}-{i}" for i in range(requests)})
        line_ids = [line["id"] for line in output + errors]
        request_ids = [line["response"]["request_id"] for line in output + errors]
        self.assertEqual(len(set(line_ids)), requests, "duplicate line ids")
        self.assertEqual(len(set(request_ids)), requests, "duplicate request ids")
        self.assertEqual(batch["request_counts"], {"total": requests, "completed": len(output), "failed": len(errors)})
        self.assertEqual(len(errors), len([i for i in range(requests) if i % 7 == 0]))

    def lines(self, server, file_id):
        self.assertIsNotNone(file_id)
        status, data = server.call("GET", f"/v1/files/{file_id}/content")
        self.assertEqual(status, 200)
        return [json.loads(line) for line in data.decode().splitlines()]

    def test_a_kill_at_every_save_point_loses_and_doubles_nothing(self):
        requests = 2500  # three steps of a batch (a step runs at most 1,000 requests)
        point = 1
        while True:
            state = os.path.join(self.dir, f"state-{point}")
            ids = self.prepare(state, 2, requests)
            server = Server(state, crash_at=point)
            killed = server.died(timeout=60)
            server.stop()
            self.assertTrue(killed or point > 1, "the hook never fired")
            self.finish(state, ids, requests)
            shutil.rmtree(state)
            if not killed:
                break  # every save point of the whole run has been a crash point
            point += 1
        self.assertGreater(point, 20, "fewer save points than the steps of two batches need")

    def test_five_random_kills_during_three_batches_of_3000(self):
        requests = 3000
        state = os.path.join(self.dir, "state")
        ids = self.prepare(state, 3, requests)
        chance = random.Random(int(os.environ.get("CRASH_TEST_SEED", "14")))
        for _ in range(5):
            server = Server(state)
            time.sleep(chance.uniform(0.05, 0.6))
            server.kill()
        self.finish(state, ids, requests)

    def test_an_unreadable_state_file_is_named_and_the_server_refuses_to_start(self):
        state = os.path.join(self.dir, "state")
        [batch_id] = self.prepare(state, 1, 3)
        record = os.path.join(state, "batches", f"{batch_id}.json")
        with open(record, "w") as torn:
            torn.write('{"batch": {"id": ')
        result = subprocess.run([SERVER, "--state-dir", state], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn(record, result.stderr)


if __name__ == "__main__":
    unittest.main()
