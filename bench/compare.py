"""Runs the JSONL benchmarks side by side, in one run on the same files, and prints a table.

    python3 bench/compare.py                 # after scripts/setup.sh: 50,000 lines (about 80 MB), and 4x that
    python3 bench/compare.py --lines 2000 --repeat 1   # a quick look
    python3 bench/compare.py --only jobs     # only whole jobs of 100,000 and 1,000,000 requests

Reading an output file, typed, line by line: our ResultFileReader (build/bench/read_results) against
Python's json.loads per line and Node's JSON.parse per line, each in its own process. Writing 50,000
request lines: our RequestFileWriter against a Python json.dumps loop. Throughput is the file size over
the process's wall time (best of --repeat runs); peak RSS is the VmHWM each process reads from
/proc/self/status as it ends (rusage would count the forking Python parent's pages too). The 4x file
shows whether memory grows with the file.

Then the models against cpprestsdk's own JSON (build/bench/model_bench, Google Benchmark), uploads and
downloads through FilesApi against the local server (build/bench/transfer; 10 MB and 200 MB), and the
local server under load (build/bench/server_load: 50 keep-alive clients; requests/s, p50, p99) and idle
with 10,000 batches stored (CPU, GET /batches?limit=1). --baseline-server BINARY loads another server
binary in the same run, for a before-and-after comparison.

Last, whole jobs (`openai-batch run`, workflow/Job.h) of 100,000 and 1,000,000 requests against the local
server: the client's peak RSS and CPU time per request (its own rusage, from wait4), to show how both scale.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PYTHON_READER = r"""
import json, sys
lines = succeeded = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if not line.strip():
            continue
        d = json.loads(line)
        lines += 1
        r = d.get("response")
        if d.get("error") is None and r and 200 <= r["status_code"] < 300:
            succeeded += 1
print(lines, succeeded, [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1])
"""

NODE_READER = r"""
const fs = require("fs");
const lines = require("readline").createInterface({input: fs.createReadStream(process.argv[1]), crlfDelay: Infinity});
let count = 0, succeeded = 0;
lines.on("line", (line) => {
  if (!line.trim()) return;
  const d = JSON.parse(line);
  count++;
  const r = d.response;
  if (d.error == null && r && r.status_code >= 200 && r.status_code < 300) succeeded++;
});
lines.on("close", () => {
  const hwm = fs.readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmHWM")).split(/\s+/)[1];
  console.log(count, succeeded, hwm);
});
"""

PYTHON_WRITER = r"""
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content":
                f"Summarise document number {i} in three sentences, keeping every figure it gives."}], "max_tokens": 1000}
        f.write(json.dumps({"custom_id": f"request-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
print([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1])
"""


def run(command, env=None):
    """(wall seconds, stdout fields) of one process; its last field is its VmHWM in KiB."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"compare.py: {' '.join(command[:2])} failed: {result.stderr.strip()}")
    return elapsed, result.stdout.split()


def best(command, repeat):
    """(best seconds, peak RSS in MiB over the runs, the first run's fields)."""
    runs = [run(command) for _ in range(repeat)]
    return min(r[0] for r in runs), max(int(r[1][-1]) for r in runs) / 1024.0, runs[0][1]


def make_file(path, lines, copies):
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "make_output_file.py"), path, "--lines", str(lines),
                        "--copies", str(copies)], check=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the CMake build directory")
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model-repetitions", type=int, default=20,
                        help="repetitions of each model benchmark (the medians count)")
    parser.add_argument("--baseline-server", help="another openai-batch-server binary to load in the same run "
                        "(for example the one built from an earlier commit)")
    parser.add_argument("--only", choices=("all", "jobs"), default="all",
                        help="jobs: only the whole-job table (its figures in workflow/README.md come from this)")
    args = parser.parse_args()
    work = os.path.join(args.build, "bench-data")
    os.makedirs(work, exist_ok=True)
    job_sizes = (100_000, 1_000_000) if args.repeat > 1 else (2_000, 10_000)
    if args.only == "jobs":
        print_job_scale(args.build, work, job_sizes)
        return 0
    reader = os.path.join(args.build, "bench", "read_results")
    writer = os.path.join(args.build, "bench", "write_requests")
    one = make_file(os.path.join(work, f"output-{args.lines}.jsonl"), args.lines, 1)
    four = make_file(os.path.join(work, f"output-{args.lines}x4.jsonl"), args.lines, 4)

    print(f"Reading a batch output file, typed, line by line (best of {args.repeat}; wall time per process)\n")
    print("| reader | file | MB | MB/s | peak RSS MiB | ours vs this |")
    print("|---|---|---:|---:|---:|---:|")
    ours = {}
    for label, path in (("1x", one), ("4x", four)):
        megabytes = os.path.getsize(path) / 1e6
        results = {}
        for name, command in (("ours (ResultFileReader)", [reader, path]),
                              ("Python json.loads", [sys.executable, "-c", PYTHON_READER, path]),
                              ("Node JSON.parse", ["node", "-e", NODE_READER, path])):
            seconds, rss, fields = best(command, args.repeat)
            results[name] = (megabytes / seconds, rss, fields)
        ours[label] = results["ours (ResultFileReader)"]
        counts = {name: r[2][0] for name, r in results.items()}
        if len(set(counts.values())) != 1:
            sys.exit(f"compare.py: the readers disagree on the line count: {counts}")
        for name, (speed, rss, _) in results.items():
            ratio = ours[label][0] / speed
            print(f"| {name} | {label} | {megabytes:.0f} | {speed:.0f} | {rss:.1f} | {ratio:.2f}x |")

    count = args.lines
    print(f"\nWriting {count} request lines (best of {args.repeat})\n")
    print("| writer | MB/s | lines/s | peak RSS MiB | ours vs this |")
    print("|---|---:|---:|---:|---:|")
    written = {}
    for name, command, out in (("ours (RequestFileWriter)", [writer, os.path.join(work, "requests-ours.jsonl"), str(count)],
                                os.path.join(work, "requests-ours.jsonl")),
                               ("Python json.dumps", [sys.executable, "-c", PYTHON_WRITER, os.path.join(work, "requests-py.jsonl"),
                                                      str(count)], os.path.join(work, "requests-py.jsonl"))):
        seconds, rss, _ = best(command, args.repeat)
        written[name] = (os.path.getsize(out) / 1e6 / seconds, count / seconds, rss)
    base = written["ours (RequestFileWriter)"][1]
    for name, (speed, rate, rss) in written.items():
        print(f"| {name} | {speed:.0f} | {rate:.0f} | {rss:.1f} | {base / rate:.2f}x |")

    print(f"\nPeak RSS of our reader: {ours['1x'][1]:.1f} MiB for the 1x file, {ours['4x'][1]:.1f} MiB for the 4x file.")
    print_model_costs(os.path.join(args.build, "bench", "model_bench"), args.model_repetitions if args.repeat > 1 else 1)
    servers = [("ours", os.path.join(args.build, "tools", "batch_server", "openai-batch-server"))]
    if args.baseline_server:
        servers.append(("baseline", args.baseline_server))
    print_transfers(args.build, work, (10, 200) if args.repeat > 1 else (1, 4), servers)
    print_server_load(args.build, work, servers, 10 if args.repeat > 1 else 1, 10000 if args.repeat > 1 else 200)
    print_job_scale(args.build, work, job_sizes)
    return 0


def job_requests(path, count):
    """A chat request file of count requests (written once, kept for later runs)."""
    if not os.path.exists(path):
        with open(path + ".part", "w") as out:
            for i in range(count):
                out.write(json.dumps({"custom_id": f"request-{i}", "method": "POST", "url": "/v1/chat/completions",
                                      "body": {"model": "gpt-4o-mini", "max_tokens": 200, "messages": [
                                          {"role": "user", "content": f"Summarise document number {i} in three "
                                                                      "sentences, keeping every figure it gives."}]}})
                          + "\n")
        os.rename(path + ".part", path)
    return path


def print_job_scale(build, work, sizes):
    """Each size: a fresh local server and job directory, one `openai-batch run` of the whole job (default
    shards of 50,000, 10 batches in flight, polls from 100 ms); the client's own rusage from wait4."""
    cli = os.path.join(build, "tools", "cli", "openai-batch")
    binary = os.path.join(build, "tools", "batch_server", "openai-batch-server")
    print("\nWhole jobs against the local server (openai-batch run: shards of 50,000, 10 batches in flight); "
          "the client process only\n")
    print("| requests | input MB | batches | wall s | client CPU s | CPU µs per request | client peak RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for count in sizes:
        requests = job_requests(os.path.join(work, f"job-requests-{count}.jsonl"), count)
        job = os.path.join(work, f"job-{count}")
        shutil.rmtree(job, ignore_errors=True)
        server = Server(binary, os.path.join(work, f"job-state-{count}"))
        try:
            started = time.perf_counter()
            process = subprocess.Popen([cli, "--json", "--base-url", f"http://127.0.0.1:{server.port}/v1", "run", requests,
                                        "--endpoint", "/v1/chat/completions", "--job-dir", job, "--poll-ms", "100"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env=dict(os.environ, OPENAI_API_KEY="sk-bench"))
            summary = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        finally:
            server.stop()
        result = json.loads(summary)
        if os.waitstatus_to_exitcode(status) != 0 or result["succeeded"] != count:
            sys.exit(f"compare.py: the {count}-request job did not succeed: {summary[:300]!r}")
        cpu = usage.ru_utime + usage.ru_stime
        print(f"| {count:,} | {os.path.getsize(requests) / 1e6:.0f} | {len(result['batches'])} | {wall:.1f} | "
              f"{cpu:.2f} | {cpu / count * 1e6:.1f} | {usage.ru_maxrss / 1024:.1f} |")
        shutil.rmtree(job, ignore_errors=True)


def print_transfers(build, work, sizes, servers):
    """Upload and download through the API layer against the local server on loopback, each size in its
    own client process (bench/transfer.cpp), so that peak RSS is the client's alone; then the server's
    own peak RSS, each server on a fresh state directory."""
    print("\nUpload and download through FilesApi against the local server on loopback (streamed both ways; "
          "peak RSS of the client process, then of the server after all sizes)\n")
    print("| server | file MB | upload MB/s | download MB/s | client peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    peaks = {}
    for name, binary in servers:
        server = Server(binary, os.path.join(work, f"transfer-state-{name}"))
        try:
            url = f"http://127.0.0.1:{server.port}/v1"
            for megabytes in sizes:
                _, fields = run([os.path.join(build, "bench", "transfer"), url, str(megabytes), work],
                                env=dict(os.environ, OPENAI_API_KEY="sk-bench"))
                upload, download, rss = float(fields[0]), float(fields[1]), int(fields[2]) / 1024.0
                print(f"| {name} | {megabytes} | {megabytes / upload:.0f} | {megabytes / download:.0f} | {rss:.1f} |")
            peaks[name] = server.peak_rss_mib()
        finally:
            server.stop()
    print("\n| server | server peak RSS MiB after the largest file |")
    print("|---|---:|")
    for name, peak in peaks.items():
        print(f"| {name} | {peak:.1f} |")


class Server:
    """An openai-batch-server process on a fresh state directory, and a keep-alive connection to it."""

    def __init__(self, binary, state):
        shutil.rmtree(state, ignore_errors=True)
        self.state = state
        self.process = subprocess.Popen([binary, "--state-dir", state], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            sys.exit(f"compare.py: the local server did not start: {line}")
        self.port = int(line.split(":")[-1].split("/")[0])
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        self.connection.request(method, path, body=body, headers=dict(headers or {}, Authorization="Bearer sk-bench"))
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            sys.exit(f"compare.py: {method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)

    def peak_rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM")).split()[1]) / 1024.0

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()
        shutil.rmtree(self.state, ignore_errors=True)


def upload_batch_input(server):
    line = json.dumps({"custom_id": "r", "method": "POST", "url": "/v1/chat/completions",
                       "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}})
    boundary = "benchboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\r\n"
            f"{line}\n\r\n--{boundary}--\r\n")
    return server.call("POST", "/v1/files", body,
                       {"Content-Type": f"multipart/form-data; boundary={boundary}"})["id"]


def create_batch_body(server):
    """The body of a POST /batches of one chat request, uploaded to server."""
    return json.dumps({"input_file_id": upload_batch_input(server), "endpoint": "/v1/chat/completions",
                       "completion_window": "24h"})


def print_server_load(build, work, servers, seconds, stored):
    """Each server, on a fresh state directory: 50 clients on keep-alive connections for `seconds` (GET of
    one batch, then POST of new batches); then, on another fresh state directory, `stored` batches
    created and finished: the CPU the server uses idle and the latency of GET /batches?limit=1."""
    load = os.path.join(build, "bench", "server_load")
    print(f"\nThe local server under load (bench/server_load.cpp: 50 clients, each on a keep-alive connection, "
          f"{seconds} s per row), then idle with {stored:,} batches stored\n")
    print("| server | task | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|")
    idle = {}
    for name, binary in servers:
        server = Server(binary, os.path.join(work, f"load-state-{name}"))
        try:
            create = create_batch_body(server)
            batch = server.call("POST", "/v1/batches", create, {"Content-Type": "application/json"})["id"]
            for task, args in (("GET /batches/{id}", [f"/v1/batches/{batch}"]), ("POST /batches", ["/v1/batches", create])):
                _, fields = run([load, str(server.port), str(seconds), "50"] + args)
                _, errors, rate, p50, p99 = fields[:5]
                print(f"| {name} | {task} | {float(rate):,.0f} | {float(p50):.2f} | {float(p99):.2f} | {errors} |")
        finally:
            server.stop()
        idle[name] = idle_with(binary, os.path.join(work, f"idle-state-{name}"), stored)
    print("\n| server | batches stored | idle CPU % of a core | GET /batches?limit=1 median ms |")
    print("|---|---:|---:|---:|")
    for name, (cpu, latency) in idle.items():
        print(f"| {name} | {stored:,} | {cpu:.1f} | {latency:.2f} |")


def idle_with(binary, state, stored):
    """(idle CPU % of a core over 5 s, median ms of GET /batches?limit=1) once `stored` batches have ended."""
    server = Server(binary, state)
    try:
        create = create_batch_body(server)
        for _ in range(stored):
            server.call("POST", "/v1/batches", create, {"Content-Type": "application/json"})
        deadline = time.monotonic() + 900
        while server.call("GET", "/v1/batches?limit=1")["data"][0]["status"] not in ("completed", "failed"):
            if time.monotonic() > deadline:
                sys.exit(f"compare.py: {binary}: {stored} batches did not finish in 15 minutes")
            time.sleep(0.5)
        time.sleep(1)
        before = server.cpu_seconds()
        time.sleep(5)
        cpu = (server.cpu_seconds() - before) / 5 * 100
        latencies = []
        for _ in range(50):
            started = time.perf_counter()
            server.call("GET", "/v1/batches?limit=1")
            latencies.append((time.perf_counter() - started) * 1000)
        return cpu, statistics.median(latencies)
    finally:
        server.stop()


def print_model_costs(program, repeat):
    """The models against cpprestsdk's own JSON (bench/model_bench.cpp, Google Benchmark, one process).
    Each benchmark times one step both ways, alternating within the same loop (counters raw_ns and
    model_ns); the table gives the medians over `repeat` repetitions and the median of their ratios."""
    result = subprocess.run([program, "--benchmark_format=json", f"--benchmark_min_time={0.1 if repeat > 1 else 0.01}",
                             f"--benchmark_repetitions={repeat}"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"compare.py: model_bench failed: {result.stderr.strip()}")
    runs = {}
    for run in json.loads(result.stdout)["benchmarks"]:
        if run.get("run_type", "iteration") == "iteration":
            runs.setdefault(run["run_name"], []).append((run["raw_ns"], run["model_ns"]))
    print(f"\nThe models over cpprestsdk's JSON (Google Benchmark; each step done both ways in turn in one loop; "
          f"medians of {repeat} repetitions, ns per document; the target is at most +30%)\n")
    print("| document | step | cpprestsdk alone | with the model | model overhead |")
    print("|---|---|---:|---:|---:|")
    steps = {"read": "parse / parse + fromJson",
             "api_read": "parse / tryParseJson + fromJson (what the API layer does)",
             "write": "serialize / toJson + serialize",
             "tree_write": "serialize / copy of the parsed tree + serialize (no model: the floor for toJson)",
             "round_trip": "parse + serialize / the same through the model"}
    for document in ("Batch", "ListBatchesResponse", "BatchRequestOutput"):
        for step, label in steps.items():
            pairs = runs[f"{document}/{step}"]
            raw = statistics.median(r for r, _ in pairs)
            model = statistics.median(m for _, m in pairs)
            overhead = statistics.median(m / r - 1 for r, m in pairs) * 100
            print(f"| {document} | {label} | {raw:,.0f} | {model:,.0f} | {overhead:+.0f}% |")


if __name__ == "__main__":
    sys.exit(main())
