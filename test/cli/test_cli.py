"""End to end through the real binaries over loopback: openai-batch-server and openai-batch.

    python3 test/cli/test_cli.py BUILD_DIR

Each test starts its own server on a free port with its own state directory, runs the command as a
user would, and checks exit codes, output and the files it writes. The API key is searched for in
everything the command prints: it must never appear.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(os.getcwd(), "build")
SERVER = os.path.join(BUILD, "tools", "batch_server", "openai-batch-server")
CLI = os.path.join(BUILD, "tools", "cli", "openai-batch")
KEY = "sk-test-e2e-0123456789"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"the local server's end-to-end secret").decode()


def free_port():
    """A port on 127.0.0.1 that nothing listens on at the moment of the call."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sign(secret, webhook_id, timestamp, body):
    """The webhook-signature of a delivery, computed here with Python's hmac (not the code under test)."""
    key = base64.b64decode(secret[len("whsec_"):])
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class Server:
    def __init__(self, state, *flags):
        self.process = subprocess.Popen([SERVER, "--state-dir", state, *flags], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the server did not start: {line}{self.process.stdout.read()}")
        self.url = line.split()[-1]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)
        self.process.stdout.close()


class HostileServer:
    """A fake Batch API on loopback that answers every GET /v1/batches/ID with the batch it is given, every
    file download with a line, and anything else with the error body it is given: what a broken or hostile
    server (or a proxy in between) could send."""

    def __init__(self, batch, error_body=None):
        outer = self
        self.batch = batch
        self.error_body = error_body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/v1/batches/"):
                    self.reply(200, json.dumps(outer.batch))
                elif self.path.endswith("/content"):
                    self.reply(200, json.dumps({"custom_id": "r0", "method": "POST", "url": "/v1/chat/completions",
                                                "body": {}}) + "\n")
                else:
                    self.reply(400, outer.error_body or "{}")

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def batch_json(**fields):
    batch = {"id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file-in",
             "completion_window": "24h", "status": "completed", "created_at": 1711471533,
             "request_counts": {"total": 1, "completed": 1, "failed": 0}, "metadata": {}}
    batch.update(fields)
    return batch


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="openai-batch-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.servers = []
        self.addCleanup(lambda: [s.stop() for s in self.servers if s.process.poll() is None])

    def server(self, *flags, state="state"):
        server = Server(os.path.join(self.dir, state), *flags)
        self.servers.append(server)
        return server

    def cli(self, server, *args, key=KEY, expect=None):
        env = dict(os.environ, OPENAI_API_KEY=key)
        env.pop("OPENAI_BASE_URL", None)
        base = ["--base-url", server.url] if server else []
        result = subprocess.run([CLI, *base, *args], capture_output=True, text=True, env=env, timeout=120)
        self.assertNotIn(KEY, result.stdout + result.stderr, "the API key leaked into the output")
        if expect is not None:
            self.assertEqual(expect, result.returncode, result.stdout + result.stderr)
        return result

    def requests(self, count, endpoint="/v1/chat/completions", name="requests.jsonl"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for i in range(count):
                body = ({"model": "text-embedding-3-small", "input": f"text {i}"} if endpoint == "/v1/embeddings"
                        else {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"question {i}"}]})
                f.write(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": endpoint, "body": body}) + "\n")
        return path

    def output_lines(self):
        lines = []
        for name in os.listdir(self.dir):
            if name.endswith("_output.jsonl"):
                with open(os.path.join(self.dir, name)) as f:
                    lines += [json.loads(line) for line in f]
        return lines

    # -- whole jobs ---------------------------------------------------------------------------------------

    def test_submit_wait_runs_chat_completions_to_the_end(self):
        server = self.server()
        result = self.cli(server, "submit", self.requests(5), "--endpoint", "/v1/chat/completions", "--wait", "-o", self.dir,
                          expect=0)
        self.assertRegex(result.stdout, r"batch_\w+ completed: 5 succeeded, 0 failed, 0 missing")
        answers = {line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"] for line in self.output_lines()}
        self.assertEqual("You said: question 3", answers["r3"])

    def test_submit_wait_runs_embeddings(self):
        server = self.server()
        result = self.cli(server, "--json", "submit", self.requests(4, "/v1/embeddings"), "--endpoint", "/v1/embeddings",
                          "--wait", "-o", self.dir, expect=0)
        summary = json.loads(result.stdout)
        self.assertEqual((4, 0, 0, "completed"), (summary["succeeded"], summary["failed"], summary["missing"], summary["status"]))
        vectors = [line["response"]["body"]["data"][0]["embedding"] for line in self.output_lines()]
        self.assertEqual(4, len(vectors))
        self.assertTrue(all(len(v) == 8 for v in vectors))

    def test_submit_then_status_wait_list_and_results(self):
        server = self.server("--step-ms", "100")
        submitted = self.cli(server, "--json", "submit", self.requests(3), "--endpoint", "/v1/chat/completions", expect=0)
        batch_id = json.loads(submitted.stdout)["id"]
        self.assertRegex(self.cli(server, "status", batch_id, expect=0).stdout, rf"{batch_id}: \w+ \(/v1/chat/completions\)")
        waited = self.cli(server, "wait", batch_id, expect=0)
        self.assertIn("completed 3/3", waited.stdout)
        self.assertNotIn("\r", waited.stdout, "not a terminal: plain lines")
        listed = self.cli(server, "list", "--limit", "1", expect=0)
        self.assertEqual(1, len(listed.stdout.splitlines()))
        self.assertTrue(listed.stdout.startswith(batch_id))
        results = self.cli(server, "results", batch_id, "-o", self.dir, expect=0)
        self.assertIn("completed: 3 succeeded, 0 failed, 0 missing", results.stdout)
        self.assertEqual(3, len(self.output_lines()))

    def test_status_and_results_show_the_model_and_the_tokens(self):
        server = self.server()
        submitted = self.cli(server, "--json", "submit", self.requests(3), "--endpoint", "/v1/chat/completions",
                             "--wait", "-o", self.dir, expect=0)
        summary = json.loads(submitted.stdout)
        usage = summary["usage"]
        self.assertEqual("gpt-4o-mini", summary["model"])
        self.assertEqual(usage["input_tokens"] + usage["output_tokens"], usage["total_tokens"])
        tokens = (rf"{usage['input_tokens']} input \(0 cached\), {usage['output_tokens']} output \(0 reasoning\), "
                  rf"{usage['total_tokens']} total")
        status = self.cli(server, "status", summary["batch_id"], expect=0).stdout
        self.assertIn("  model: gpt-4o-mini\n", status)
        self.assertRegex(status, "  tokens: " + tokens)
        results = self.cli(server, "results", summary["batch_id"], "-o", self.dir, expect=0).stdout
        self.assertRegex(results, r"tokens \(gpt-4o-mini\): " + tokens)
        # The output file's responses, read with the typed reads, say the same as the batch, per model.
        self.assertRegex(results, r"tokens by the output file, gpt-4o-mini: " + tokens)
        self.assertEqual({"gpt-4o-mini": {"input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"],
                                          "total_tokens": usage["total_tokens"], "cached_tokens": 0,
                                          "reasoning_tokens": 0}},
                         summary["tokens_by_model"])

    def api_get(self, server, path):
        request = urllib.request.Request(f"{server.url}/{path}", headers={"Authorization": f"Bearer {KEY}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def test_output_expires_after(self):
        server = self.server()
        summary = json.loads(self.cli(server, "--json", "submit", self.requests(2), "--endpoint", "/v1/chat/completions",
                                      "--output-expires-after", "7200", "--wait", "-o", self.dir, expect=0).stdout)
        batch = self.api_get(server, f"batches/{summary['batch_id']}")
        output = self.api_get(server, f"files/{batch['output_file_id']}")
        self.assertEqual(7200, output["expires_at"] - output["created_at"])

    def test_an_output_expiry_out_of_range_is_refused_before_any_upload(self):
        server = self.server()
        for seconds, message in (("60", "/output_expires_after/seconds: 60 is less than the minimum 3600"),
                                 ("2592001", "/output_expires_after/seconds: 2592001 is more than the maximum 2592000"),
                                 ("1h", "--output-expires-after takes a number of seconds, not '1h'")):
            result = self.cli(server, "submit", self.requests(1), "--endpoint", "/v1/chat/completions",
                              "--output-expires-after", seconds)
            self.assertOneLineFailure(result, 2, ".*" + re.escape(message))
        self.assertEqual([], self.api_get(server, "files")["data"], "nothing was uploaded")

    def webhook(self, body, headers, secret=WEBHOOK_SECRET, *flags):
        env = dict(os.environ, OPENAI_WEBHOOK_SECRET=secret)
        env.pop("OPENAI_API_KEY", None)  # verifying needs no API key
        args = [CLI, *flags, "webhook", "verify"] + [a for name, value in headers.items()
                                                     for a in ("--header", f"{name}: {value}")]
        return subprocess.run(args, input=body, capture_output=True, text=True, env=env, timeout=30)

    def test_webhook_verify(self):
        body = json.dumps({"id": "evt_1", "object": "event", "created_at": 1750000000, "type": "batch.failed",
                           "data": {"id": "batch_9"}})
        now = str(int(time.time()))
        headers = {"webhook-id": "msg_1", "webhook-timestamp": now,
                   "webhook-signature": sign(WEBHOOK_SECRET, "msg_1", now, body)}
        verified = self.webhook(body, headers)
        self.assertEqual(0, verified.returncode, verified.stderr)
        self.assertEqual("verified batch.failed msg_1: batch batch_9\n", verified.stdout)
        as_json = self.webhook(body, headers, WEBHOOK_SECRET, "--json")
        self.assertEqual(json.loads(body), json.loads(as_json.stdout))
        self.assertOneLineFailure(self.webhook(body.replace("batch_9", "batch_8"), headers), 3,
                                  "webhook refused: no signature matches")
        stale = str(int(time.time()) - 600)
        self.assertOneLineFailure(
            self.webhook(body, dict(headers, **{"webhook-timestamp": stale,
                                                "webhook-signature": sign(WEBHOOK_SECRET, "msg_1", stale, body)})),
            3, "webhook refused: the webhook-timestamp is 60[0-9] s old")
        self.assertOneLineFailure(self.webhook(body, {k: v for k, v in headers.items() if k != "webhook-id"}), 3,
                                  "webhook refused: the webhook-id header is missing")
        self.assertOneLineFailure(self.webhook(body, headers, ""), 2, "no webhook secret: set OPENAI_WEBHOOK_SECRET")

    def test_the_server_signs_events_the_command_verifies(self):
        port = free_port()
        server = self.server("--webhook-url", f"http://127.0.0.1:{port}/hooks", "--webhook-secret", WEBHOOK_SECRET)
        deliveries = []

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                deliveries.append(({name: self.headers[name] for name in
                                    ("webhook-id", "webhook-timestamp", "webhook-signature")}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        receiver = http.server.HTTPServer(("127.0.0.1", port), Receiver)
        receiver.timeout = 0.1
        submitted = self.cli(server, "--json", "submit", self.requests(1), "--endpoint", "/v1/chat/completions",
                             "--wait", "-o", self.dir, expect=0)
        deadline = time.time() + 10
        while not deliveries and time.time() < deadline:
            receiver.handle_request()
        receiver.server_close()
        self.assertEqual(1, len(deliveries))
        headers, body = deliveries[0]
        self.assertEqual(sign(WEBHOOK_SECRET, headers["webhook-id"], headers["webhook-timestamp"], body),
                         headers["webhook-signature"])
        verified = self.webhook(body, headers)
        self.assertEqual(f"verified batch.completed {headers['webhook-id']}: batch {json.loads(submitted.stdout)['batch_id']}\n",
                         verified.stdout, verified.stderr)

    def test_the_server_refuses_a_webhook_url_off_the_machine(self):
        result = subprocess.run([SERVER, "--state-dir", os.path.join(self.dir, "s"), "--webhook-url",
                                 "http://example.com/hook", "--webhook-secret", WEBHOOK_SECRET],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(2, result.returncode)
        self.assertIn("the webhook URL must be http:// to 127.0.0.1, [::1] or localhost", result.stderr)

    def test_an_invalid_input_file_fails_the_batch_with_line_numbers(self):
        server = self.server()
        path = os.path.join(self.dir, "bad.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}) + "\n")
            f.write("{not json\n")
        # The command refuses it before uploading, with the line.
        refused = self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions", expect=3)
        self.assertRegex(refused.stderr, r"^openai-batch: the request file '.*bad.jsonl' would be rejected: line 2: ")
        self.assertEqual(1, len(refused.stderr.splitlines()))

    def test_cancel_mid_run_keeps_partial_results(self):
        server = self.server("--request-ms", "60")
        batch_id = json.loads(self.cli(server, "--json", "submit", self.requests(40), "--endpoint", "/v1/chat/completions",
                                       expect=0).stdout)["id"]
        for _ in range(200):
            status = json.loads(self.cli(server, "--json", "status", batch_id, expect=0).stdout)
            if status["request_counts"]["completed"] >= 3:
                break
            time.sleep(0.02)
        self.assertIn("cancelling", self.cli(server, "cancel", batch_id, expect=0).stdout)
        self.assertIn("cancelled", self.cli(server, "wait", batch_id, expect=1).stdout)
        results = self.cli(server, "results", batch_id, "-o", self.dir, expect=1)
        summary = results.stdout
        succeeded = int(summary.split(": ")[1].split(" succeeded")[0])
        self.assertGreaterEqual(succeeded, 3)
        self.assertIn(f"{40 - succeeded} missing", summary)

    def test_expiry_gives_partial_results_and_batch_expired_errors(self):
        server = self.server("--request-ms", "100", "--completion-window-ms", "1200")
        result = self.cli(server, "--json", "submit", self.requests(30), "--endpoint", "/v1/chat/completions", "--wait",
                          "-o", self.dir, expect=1)
        summary = json.loads(result.stdout)
        self.assertEqual("expired", summary["status"])
        self.assertGreater(summary["succeeded"], 0)
        self.assertEqual(30, summary["succeeded"] + summary["failed"])
        with open(summary["error_file"]) as f:
            self.assertTrue(all(json.loads(line)["error"]["code"] == "batch_expired" for line in f))

    def test_a_server_restart_mid_batch_loses_nothing(self):
        first = self.server("--request-ms", "40")
        batch_id = json.loads(self.cli(first, "--json", "submit", self.requests(30), "--endpoint", "/v1/chat/completions",
                                       expect=0).stdout)["id"]
        for _ in range(200):
            if json.loads(self.cli(first, "--json", "status", batch_id, expect=0).stdout)["request_counts"]["completed"] >= 5:
                break
            time.sleep(0.02)
        first.stop()
        second = self.server("--request-ms", "40")  # same state directory, a new port
        self.cli(second, "wait", batch_id, expect=0)
        results = self.cli(second, "results", batch_id, "-o", self.dir, expect=0)
        self.assertIn("30 succeeded, 0 failed, 0 missing", results.stdout)
        ids = [line["custom_id"] for line in self.output_lines()]
        self.assertEqual(sorted(ids), sorted(set(ids)))
        self.assertEqual(30, len(ids))

    def test_a_job_completes_through_injected_429s_and_500s(self):
        # At most two faults in a row, so the client's two retries always get through.
        server = self.server("--fault", "429:nth=4", "--fault", "500:nth=7", "--step-ms", "50")
        result = self.cli(server, "--json", "submit", self.requests(12), "--endpoint", "/v1/chat/completions", "--wait",
                          "-o", self.dir, expect=0)
        summary = json.loads(result.stdout)
        self.assertEqual((12, 0, 0), (summary["succeeded"], summary["failed"], summary["missing"]))
        self.assertEqual(1, len(json.loads(self.cli(server, "--json", "list", expect=0).stdout)))
        ids = [line["custom_id"] for line in self.output_lines()]
        self.assertEqual(12, len(set(ids)))
        self.assertEqual(12, len(ids))

    def test_wait_polls_through_transient_errors_until_the_batch_ends(self):
        # With the rules nth=2 and nth=3 together, requests 2, 3 and 4 all fail: the second poll and both
        # of the API layer's retries. Then every 6 requests have another run of three. The batch goes on.
        for kind in ("500", "drop"):
            with self.subTest(kind=kind):
                state = f"state-{kind}"
                first = self.server("--request-ms", "100", state=state)
                batch_id = json.loads(self.cli(first, "--json", "submit", self.requests(20), "--endpoint",
                                               "/v1/chat/completions", expect=0).stdout)["id"]
                first.stop()
                faulty = self.server("--request-ms", "100", "--fault", f"{kind}:nth=2", "--fault", f"{kind}:nth=3",
                                     state=state)
                waited = self.cli(faulty, "wait", batch_id, expect=0)
                self.assertIn("completed 20/20", waited.stdout)
                self.assertIn(f"{batch_id}: completed", waited.stdout)

    def test_the_official_openai_node_sdk_works_against_the_server(self):
        port = free_port()
        server = self.server("--step-ms", "50", "--webhook-url", f"http://127.0.0.1:{port}/hooks",
                             "--webhook-secret", WEBHOOK_SECRET)
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is needed (the set-up installs it)")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "official_sdk.mjs")
        result = subprocess.run([node, script, server.url, self.requests(3), str(port), WEBHOOK_SECRET],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual("completed", summary["status"])
        self.assertEqual({"total": 3, "completed": 3, "failed": 0}, summary["counts"])
        self.assertEqual({"via": "official-sdk"}, summary["metadata"])
        self.assertEqual("gpt-4o-mini", summary["model"])
        usage = summary["usage"]
        self.assertEqual(usage["input_tokens"] + usage["output_tokens"], usage["total_tokens"])
        self.assertGreater(usage["input_tokens"], 0)
        self.assertEqual({"cached_tokens": 0}, usage["input_tokens_details"])
        self.assertEqual(86400, summary["uploadExpiry"])
        self.assertEqual("processed", summary["uploadStatus"])
        self.assertEqual(7200, summary["outputExpiry"])
        self.assertEqual({"status": 400, "param": "output_expires_after.seconds"}, summary["badExpiry"])
        completed, cancelled = summary["batchIds"]
        self.assertEqual([], summary["refused"], "the SDK refused a webhook the server signed")
        self.assertEqual(sorted([{"type": "batch.completed", "batch": completed},
                                 {"type": "batch.cancelled", "batch": cancelled}], key=str),
                         sorted(summary["events"], key=str))
        self.assertEqual(["r0", "r1", "r2"], sorted(summary["outputLines"]))
        self.assertEqual(1, len(summary["listed"]))
        self.assertEqual(1, len(summary["files"]))
        self.assertIn(summary["cancelStatus"], ("cancelling", "cancelled"))
        self.assertEqual("requests.jsonl", summary["filename"])
        self.assertEqual(404, summary["missing"]["status"])
        self.assertTrue(summary["missing"]["requestId"], "x-request-id reaches the SDK")

    def test_a_job_completes_through_dropped_connections_with_one_batch(self):
        # Every 2nd request is carried out, then its reply is cut off halfway: the create (the 2nd,
        # after the upload) loses its reply after the batch exists.
        server = self.server("--fault", "drop:nth=2", "--step-ms", "50")
        result = self.cli(server, "--json", "submit", self.requests(8), "--endpoint", "/v1/chat/completions", "--wait",
                          "-o", self.dir, expect=0)
        self.assertEqual(8, json.loads(result.stdout)["succeeded"])
        self.assertEqual(1, len(json.loads(self.cli(server, "--json", "list", expect=0).stdout)))

    def test_wait_draws_a_progress_bar_on_a_terminal(self):
        import pty
        server = self.server("--request-ms", "30", "--step-ms", "100")
        batch_id = json.loads(self.cli(server, "--json", "submit", self.requests(20), "--endpoint", "/v1/chat/completions",
                                       expect=0).stdout)["id"]
        main, child = pty.openpty()
        env = dict(os.environ, OPENAI_API_KEY=KEY)
        process = subprocess.Popen([CLI, "--base-url", server.url, "wait", batch_id], stdout=child, stderr=child, env=env)
        os.close(child)
        output = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            output += chunk
        os.close(main)
        self.assertEqual(0, process.wait(timeout=60))
        text = output.decode()
        self.assertIn("\r[", text, "redrawn in place on a terminal")
        self.assertRegex(text, r"\[#{30}\] completed 20/20 \(0 failed\) \d+m\d\ds")
        self.assertNotIn(KEY, text)

    def test_a_batch_created_by_another_client_from_an_invalid_file_fails_with_line_numbers(self):
        # The command would refuse such a file, so the official SDK uploads it and creates the batch.
        server = self.server()
        path = os.path.join(self.dir, "bad.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}) + "\n")
            f.write(json.dumps({"custom_id": "b", "method": "GET", "url": "/v1/chat/completions", "body": {}}) + "\n")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "create_batch.mjs")
        made = subprocess.run(["node", script, server.url, path], capture_output=True, text=True, timeout=60)
        self.assertEqual(0, made.returncode, made.stderr)
        batch_id = made.stdout.strip()
        waited = self.cli(server, "wait", batch_id, expect=1)
        self.assertIn(f"{batch_id}: failed", waited.stdout)
        self.assertIn("error on line 2: invalid_request: method must be POST, not 'GET'", waited.stdout)

    def uploads(self, server, filename="requests.jsonl"):
        return [f for f in self.api_get(server, "files")["data"] if f["purpose"] == "batch" and f["filename"] == filename]

    def start_submit_wait(self, server, path, *flags):
        env = dict(os.environ, OPENAI_API_KEY=KEY)
        return subprocess.Popen([CLI, "--base-url", server.url, *flags, "submit", path, "--endpoint",
                                 "/v1/chat/completions", "--wait", "-o", self.dir], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)

    def test_submit_prints_the_id_before_waiting_and_a_rerun_takes_the_batch_up(self):
        server = self.server("--request-ms", "100")
        path = self.requests(30)
        first = self.start_submit_wait(server, path)
        line = first.stdout.readline()  # flushed before the wait: readable while the command still runs
        self.assertRegex(line, r"^batch_\w+ submitted: 30 requests, \w+\n$")
        batch_id = line.split()[0]
        self.assertIsNone(first.poll(), "the id came before the batch ended")
        first.send_signal(signal.SIGINT)  # Ctrl-C during the wait
        first.communicate(timeout=30)
        self.assertNotEqual(0, first.returncode)

        again = self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions", "--wait", "-o", self.dir,
                         expect=0)
        self.assertTrue(again.stdout.startswith(f"{batch_id} found: submitted earlier with the same file and options"),
                        again.stdout)
        self.assertIn(f"{batch_id} completed: 30 succeeded, 0 failed, 0 missing", again.stdout)
        self.assertEqual([batch_id], [b["id"] for b in self.api_get(server, "batches")["data"]])
        self.assertEqual(1, len(self.uploads(server)))

        # The same job without --wait finds it too; another file, other metadata or --new make a new one.
        self.assertTrue(self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions", expect=0)
                        .stdout.startswith(f"{batch_id} found: "))
        self.assertIn(" submitted: ", self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions",
                                               "--metadata", "run=2", expect=0).stdout)
        newer = self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions", "--new", expect=0).stdout
        self.assertIn(" submitted: 30 requests", newer)
        self.assertEqual(3, len(self.api_get(server, "batches")["data"]))
        self.assertEqual(3, len(self.uploads(server)))
        # A rerun now finds the newest batch of the job.
        self.assertTrue(self.cli(server, "submit", path, "--endpoint", "/v1/chat/completions", expect=0)
                        .stdout.startswith(newer.split()[0] + " found: "))

    def test_with_json_the_early_id_goes_to_standard_error(self):
        server = self.server("--request-ms", "100")
        running = self.start_submit_wait(server, self.requests(20), "--json")
        line = running.stderr.readline()
        self.assertRegex(line, r"^openai-batch: batch_\w+ submitted: 20 requests, \w+\n$")
        out, _ = running.communicate(timeout=120)
        self.assertEqual(0, running.returncode)
        self.assertEqual(line.split()[1], json.loads(out)["batch_id"], "standard output is one JSON document")

    def test_a_refused_submit_leaves_nothing_on_the_server(self):
        server = self.server()
        empty = os.path.join(self.dir, "empty.jsonl")
        open(empty, "w").close()
        too_many = [a for i in range(16) for a in ("--metadata", f"k{i}=v")]
        cases = (
            ([self.requests(1), "--metadata", "=v"], 2, "--metadata takes KEY=VALUE, not '=v'"),
            ([self.requests(1), "--metadata", "k" * 65 + "=v"], 2, ".*metadata.*64"),
            ([self.requests(1), *too_many], 2, "metadata: at most 15 pairs, the run adds its tag as the 16th"),
            ([empty], 3, f"the request file '{re.escape(empty)}' has no requests"),
        )
        for wait in ([], ["--wait", "-o", self.dir]):
            for args, code, message in cases:
                with self.subTest(args=args[1:3], wait=wait):
                    result = self.cli(server, "submit", *args, "--endpoint", "/v1/chat/completions", *wait)
                    self.assertOneLineFailure(result, code, message)
        self.assertEqual([], self.api_get(server, "files")["data"], "nothing was uploaded")
        self.assertEqual([], self.api_get(server, "batches")["data"])

    def test_the_output_directory_is_created_with_its_parents(self):
        server = self.server()
        made = os.path.join(self.dir, "new", "results")
        summary = json.loads(self.cli(server, "--json", "submit", self.requests(2), "--endpoint", "/v1/chat/completions",
                                      "--wait", "-o", made, expect=0).stdout)
        self.assertEqual(os.path.join(made, f"{summary['batch_id']}_output.jsonl"), summary["output_file"])
        self.assertTrue(os.path.isfile(summary["output_file"]))
        later = os.path.join(self.dir, "later", "deeper")
        self.cli(server, "results", summary["batch_id"], "-o", later, expect=0)
        self.assertTrue(os.path.isfile(os.path.join(later, f"{summary['batch_id']}_output.jsonl")))
        blocked = os.path.join(self.dir, "a-file")
        open(blocked, "w").close()
        self.assertOneLineFailure(self.cli(server, "results", summary["batch_id"], "-o", os.path.join(blocked, "x")), 6,
                                  "cannot create the output directory")

    def test_ids_from_the_server_never_name_a_path_outside_the_output_directory(self):
        out = os.path.join(self.dir, "deep", "out")
        os.makedirs(out)  # so that only the ids can stop the download
        for hostile in ("../../x", "../escape", "/tmp/x", ".hidden"):
            with self.subTest(id=hostile):
                fake = HostileServer(batch_json(id=hostile, input_file_id=hostile, output_file_id="../../x"))
                self.addCleanup(fake.stop)
                result = self.cli(None, "--base-url", fake.url, "results", "batch_1", "-o", out)
                self.assertOneLineFailure(result, 6, re.escape(f"the batch id '{hostile}' from the server cannot name "
                                                               f"a file in '{out}'"))
        written = [os.path.join(root, name) for root, _, names in os.walk(self.dir) for name in names]
        self.assertEqual([], written, "nothing was written anywhere")

    def test_control_characters_from_the_server_are_escaped(self):
        fake = HostileServer(batch_json(id="batch_\x1b[2J", status="failed", errors={"object": "list", "data": [
            {"code": "bad\x07", "message": "line\r\nforged\x1b]0;title\x07 \x7f\x9b31m", "line": 2}]}),
            error_body=json.dumps({"error": {"message": "denied\x1b[31m\rforged", "type": "invalid_request_error"}}))
        self.addCleanup(fake.stop)
        status = self.cli(None, "--base-url", fake.url, "status", "batch_1", expect=0)
        self.assertIn("batch_\\x1b[2J: failed", status.stdout)
        self.assertIn("error on line 2: bad\\x07: line\\r\\nforged\\x1b]0;title\\x07 \\x7f\\u009b31m\n", status.stdout)
        as_json = self.cli(None, "--base-url", fake.url, "--json", "status", "batch_1", expect=0).stdout
        self.assertEqual("batch_\x1b[2J", json.loads(as_json)["id"], "the JSON still says the same")
        failed = self.cli(None, "--base-url", fake.url, "list")
        self.assertOneLineFailure(failed, 4, r"listBatches: HTTP 400: .*denied\\x1b\[31m\\rforged")
        for output in (status.stdout, as_json, failed.stdout, failed.stderr):
            self.assertFalse(re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", output), repr(output))

    def test_the_key_is_redacted_in_every_form_the_server_echoes_it(self):
        escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)  # the key, JSON-escaped in the raw body
        fake = HostileServer(batch_json(metadata={"echo": KEY, "start": KEY[:14]},
                                        errors={"object": "list", "data": [{"code": "x", "message": KEY[-13:]}]}),
                             error_body='{"error": {"message": "bad key ' + escaped + '", "type": "x"}}')
        self.addCleanup(fake.stop)
        for args in (["status", "batch_1"], ["--json", "status", "batch_1"], ["list"]):
            result = self.cli(None, "--base-url", fake.url, *args)
            everything = result.stdout + result.stderr
            self.assertIn("[redacted]", everything)
            for part in (KEY[:14], KEY[-13:], escaped[:60]):
                self.assertNotIn(part, everything)

    # -- failures: exit codes and one-line reasons -----------------------------------------------------------

    def assertOneLineFailure(self, result, code, pattern):
        self.assertEqual(code, result.returncode, result.stdout + result.stderr)
        self.assertEqual(1, len(result.stderr.strip().splitlines()), result.stderr)
        self.assertRegex(result.stderr, "^openai-batch: " + pattern)

    def test_bad_flags(self):
        server = self.server()
        self.assertOneLineFailure(self.cli(server, "frobnicate"), 2, "unknown command 'frobnicate'")
        self.assertOneLineFailure(self.cli(server, "list", "--limit", "zero"), 2, "--limit must be a positive integer")
        self.assertOneLineFailure(self.cli(server, "submit", "x.jsonl"), 2, "submit needs --endpoint")
        self.assertOneLineFailure(self.cli(server, "status"), 2, "status takes one batch ID")
        self.assertOneLineFailure(self.cli(server, "submit", "x", "--endpoint", "/v1/embeddings", "--bogus"), 2,
                                  "unknown option --bogus for submit")

    def test_plain_http_to_a_remote_host_is_refused(self):
        result = self.cli(None, "--base-url", "http://api.example.invalid/v1", "list")
        self.assertOneLineFailure(result, 2, "ApiConfiguration: base URL 'http://api.example.invalid/v1' is plain http")

    def test_no_api_key(self):
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        result = subprocess.run([CLI, "list"], capture_output=True, text=True, env=env)
        self.assertOneLineFailure(result, 2, "no API key: set OPENAI_API_KEY")

    def test_unreachable_server(self):
        port = free_port()
        env = dict(os.environ, OPENAI_API_KEY=KEY, OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1")
        result = subprocess.run([CLI, "list"], capture_output=True, text=True, env=env, timeout=120)
        self.assertOneLineFailure(result, 5, f"cannot reach http://127.0.0.1:{port}/v1: ")

    def test_wrong_key_is_401(self):
        server = self.server("--api-key", "sk-the-right-one")
        self.assertOneLineFailure(self.cli(server, "list"), 4, r"listBatches: HTTP 401: Incorrect API key provided")

    def test_unknown_batch_is_404(self):
        server = self.server()
        self.assertOneLineFailure(self.cli(server, "status", "batch_nope"), 4, r"retrieveBatch: HTTP 404: No batch found")

    def test_missing_request_file(self):
        server = self.server()
        self.assertOneLineFailure(self.cli(server, "submit", "/no/such.jsonl", "--endpoint", "/v1/embeddings"), 3,
                                  "cannot read the request file '/no/such.jsonl'")

    def test_help_on_every_command(self):
        for command in ("submit", "status", "wait", "list", "cancel", "results", "webhook"):
            result = self.cli(None, command, "--help", expect=0)
            self.assertTrue(result.stdout.startswith(f"usage: openai-batch {command}"), result.stdout)
        overview = self.cli(None, "--help", expect=0)
        self.assertIn("exit codes:", overview.stdout)


if __name__ == "__main__":
    unittest.main()
