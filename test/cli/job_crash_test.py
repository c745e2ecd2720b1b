#!/usr/bin/env python3
"""`openai-batch run` killed with kill -9 and starved of disk, against the real `openai-batch-server`.

1. A 200,000-request job in two files, against a server with every fault on (a 5% share of requests
   answered 500, a 20% share of batches expiring half-way, an enqueued-token limit that refuses batches,
   HTTP 500s and connections dropped after the server acted), is killed with SIGKILL at five random moments
   and run again each time. At the end every request has exactly one final outcome, no shard submission
   (a batch tag) has two batches on the server, no shard was uploaded twice, and the outcomes and answers
   are those of a clean run of the same job against a fresh server.
2. A 30-request job of three shards, against one server with the faults on, killed by the save-point hook
   (OPENAI_BATCH_CRASH_AT=N: SIGKILL at the Nth durable write, before or after it is synced) for every N
   until a run passes them all, and run again each time: the same checks.
3. The same command under a file-size limit (RLIMIT_FSIZE) that the growing manifest meets part-way:
   a clear error naming the manifest, and the manifest left usable: the next run finishes the job.

usage: job_crash_test.py BUILD_DIR [REQUESTS]
"""
import collections
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
SERVER = os.path.join(BUILD, "tools", "batch_server", "openai-batch-server")
CLI = os.path.join(BUILD, "tools", "cli", "openai-batch")
KILLS = 5
RUN_TIMEOUT = 300  # seconds for one uninterrupted run
# A shard's estimate is about 20000 requests * 37 tokens: the limit lets two in progress, not four.
TOKEN_LIMIT = 1_600_000


def write_requests(directory, count):
    paths = []
    half = count // 2
    for name, ids in (("first.jsonl", range(0, half)), ("second.jsonl", range(half, count))):
        path = os.path.join(directory, name)
        with open(path, "w") as out:
            for i in ids:
                out.write(json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
                                      "body": {"model": "gpt-4o-mini", "max_tokens": 20,
                                               "messages": [{"role": "user", "content": f"question {i}"}]}}) + "\n")
        paths.append(path)
    return paths


class Server:
    def __init__(self, state, faults=True):
        flags = ["--fail-requests", "0.05", "--expire-batches", "0.2", "--enqueued-token-limit", str(TOKEN_LIMIT),
                 "--fault", "500:rate=0.02", "--fault", "drop:rate=0.01", "--fault-seed", "7"] if faults else []
        self.state = state
        self.process = subprocess.Popen([SERVER, "--state-dir", state, "--port", "0"] + flags,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = line.split()[-1]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def batches(self):
        directory = os.path.join(self.state, "batches")
        found = []
        for name in os.listdir(directory):
            if name.endswith(".json"):
                with open(os.path.join(directory, name)) as record:
                    found.append(json.load(record)["batch"])
        return found

    def uploads(self):
        directory = os.path.join(self.state, "files")
        names = []
        for name in os.listdir(directory):
            if name.endswith(".json"):
                with open(os.path.join(directory, name)) as record:
                    file = json.load(record)
                if file.get("purpose") == "batch":
                    names.append(file["filename"])
        return names


def run_command(server, job, files, limit_bytes=None, shard_requests=max(2, REQUESTS // 10), crash_at=None):
    # The small jobs of the later passes poll faster: each is run many times.
    poll_ms = "50" if shard_requests > 1000 else "10"
    command = [CLI, "--base-url", server.url, "run", *files, "--endpoint", "/v1/chat/completions", "--job-dir", job,
               "--shard-requests", str(shard_requests), "--max-batches", "4", "--poll-ms", poll_ms,
               "--token-limit-wait-ms", "200", "--max-attempts", "12"]
    environment = dict(os.environ, OPENAI_API_KEY="sk-local")
    environment.pop("OPENAI_BATCH_CRASH_AT", None)
    if crash_at is not None:
        environment["OPENAI_BATCH_CRASH_AT"] = str(crash_at)

    def limit():
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    # restore_signals=False keeps SIGXFSZ ignored (as Python has it), so a write over the limit fails
    # with EFBIG instead of killing the process.
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit, restore_signals=limit_bytes is None)


def finish(server, job, files, limit_bytes=None, shard_requests=max(2, REQUESTS // 10), crash_at=None):
    process = run_command(server, job, files, limit_bytes, shard_requests, crash_at)
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    return process.returncode, out, err


def results(job):
    output = subprocess.run([CLI, "--json", "job", "results", job], check=True, capture_output=True, text=True,
                            env=dict(os.environ, OPENAI_API_KEY="")).stdout
    return [json.loads(line) for line in output.splitlines()]


def answers(job):
    """custom_id -> the answer text of its successful result line, from the downloaded output files."""
    found = {}
    directory = os.path.join(job, "results")
    for name in sorted(os.listdir(directory)):
        if not name.endswith("_output.jsonl"):
            continue
        with open(os.path.join(directory, name)) as lines:
            for line in lines:
                result = json.loads(line)
                if result["response"]["status_code"] == 200:
                    found[result["custom_id"]] = result["response"]["body"]["choices"][0]["message"]["content"]
    return found


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def killed_runs(work, files):
    clean_server = Server(os.path.join(work, "clean-state"))
    try:
        started = time.monotonic()
        code, _, err = finish(clean_server, os.path.join(work, "clean-job"), files)
        clean_seconds = time.monotonic() - started
        check(code in (0, 1), f"the clean run ends ({code}) in {clean_seconds:.1f} s {err[-300:]}")
    finally:
        clean_server.stop()
    clean = {r["custom_id"]: (r["outcome"], r["status_code"]) for r in results(os.path.join(work, "clean-job"))}

    server = Server(os.path.join(work, "state"))
    job = os.path.join(work, "job")
    try:
        moments = sorted(random.uniform(0.05, 1.0) * clean_seconds for _ in range(KILLS))
        print("kill -9 after", ", ".join(f"{m:.2f} s" for m in moments), "of each run")
        for moment in moments:
            process = run_command(server, job, files)
            try:
                process.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                process.kill()  # SIGKILL
            process.communicate()
        code, out, err = finish(server, job, files)
        check(code in (0, 1), f"the run after {KILLS} kills finishes ({code}): {out.splitlines()[-2:]} {err[-300:]}")

        final = results(job)
        ids = collections.Counter(r["custom_id"] for r in final)
        check(len(final) == REQUESTS and len(ids) == REQUESTS, f"{REQUESTS} requests, each with one outcome")
        check(all(r["outcome"] in ("succeeded", "failed", "missing") for r in final), "every outcome is final")
        check({r["custom_id"]: (r["outcome"], r["status_code"]) for r in final} == clean,
              "outcomes and status codes are the clean run's")
        expected = {f"req-{i}": f"You said: question {i}" for i in range(REQUESTS)}
        killed_answers = answers(job)
        check(all(killed_answers[i] == expected[i] for i in killed_answers) and len(killed_answers) ==
              sum(1 for r in final if r["outcome"] == "succeeded"), "every success has its own answer")
        check(killed_answers == answers(os.path.join(work, "clean-job")), "the answers are the clean run's")

        tags = collections.Counter(batch["metadata"]["openai_batch_run"] for batch in server.batches())
        check(tags and max(tags.values()) == 1, f"no shard submission has two batches ({len(tags)} batches)")
        token_limited = sum(1 for b in server.batches() if b["status"] == "failed")
        check(token_limited > 0, f"the token limit refused {token_limited} batches, which went again")
        uploads = collections.Counter(server.uploads())
        check(uploads and max(uploads.values()) == 1, f"no shard was uploaded twice ({len(uploads)} uploads)")
    finally:
        server.stop()


def check_job(server, job, count):
    """One final outcome per request, no tag with two batches, no upload twice (this job's own)."""
    final = results(job)
    assert len(final) == count and len({r["custom_id"] for r in final}) == count, f"{len(final)} results in {job}"
    assert all(r["outcome"] == "succeeded" for r in final), [r for r in final if r["outcome"] != "succeeded"][:3]
    with open(os.path.join(job, "manifest.json")) as manifest:
        plan = json.load(manifest)["plan_id"][:16]
    tags = collections.Counter(b["metadata"]["openai_batch_run"] for b in server.batches()
                               if b["metadata"].get("openai_batch_run", "").startswith(plan))
    assert tags and max(tags.values()) == 1, f"a tag with two batches in {job}: {tags}"
    uploads = collections.Counter(name for name in server.uploads() if name.startswith(f"job-{plan}"))
    assert uploads and max(uploads.values()) == 1, f"a shard uploaded twice in {job}: {uploads}"


def every_save_point(work):
    os.makedirs(os.path.join(work, "points"))
    files = write_requests(os.path.join(work, "points"), 30)
    server = Server(os.path.join(work, "points-state"))
    try:
        point = 0
        while True:
            point += 1
            if point > 400:
                raise AssertionError("more than 400 save points in a 30-request job")
            job = os.path.join(work, f"points-job-{point}")
            code, _, err = finish(server, job, files, shard_requests=10, crash_at=point)
            if code != -9:
                check(code == 0, f"a run passes all {point - 1} save points of the job: {err[-300:]}")
                check_job(server, job, 30)
                break
            code, _, err = finish(server, job, files, shard_requests=10)
            assert code == 0, f"after a kill at save point {point}: {code} {err[-300:]}"
            check_job(server, job, 30)
        check(point > 20, f"killed at each of {point - 1} save points, then run again: every request once")
    finally:
        server.stop()


def full_disk(work):
    os.makedirs(os.path.join(work, "small"))
    files = write_requests(os.path.join(work, "small"), 40)
    server = Server(os.path.join(work, "small-state"), faults=False)
    try:
        measure = os.path.join(work, "measure-job")
        code, _, err = finish(server, measure, files, shard_requests=2)
        check(code == 0, f"the job runs to its end without a limit: {err[-300:]}")
        final_size = os.path.getsize(os.path.join(measure, "manifest.json"))
        job = os.path.join(work, "small-job")
        # 20 shards: the manifest grows as their batches are created and end, past the limit late in the job.
        code, _, err = finish(server, job, files, limit_bytes=final_size - 1500, shard_requests=2)
        check(code == 6 and "manifest.json" in err and "File too large" in err,
              f"a manifest the disk refuses is a clear error ({code}): {err.strip()[-200:]}")
        with open(os.path.join(job, "manifest.json")) as manifest:
            check(json.load(manifest)["format"] == "openai-batch job 1", "the manifest is whole")
        code, out, err = finish(server, job, files, shard_requests=2)
        check(code == 0, f"the next run finishes the job: {out.splitlines()[-2:]} {err[-300:]}")
        check(len(results(job)) == 40 and all(r["outcome"] == "succeeded" for r in results(job)),
              "every request succeeded once")
    finally:
        server.stop()


def main():
    random.seed(os.getpid())
    with tempfile.TemporaryDirectory(prefix="job-crash-") as work:
        files = write_requests(work, REQUESTS)
        killed_runs(work, files)
        every_save_point(work)
        full_disk(work)
    print("job crash test passed")


if __name__ == "__main__":
    main()
