"""Runs the JSONL benchmarks side by side, in one run on the same files, and prints a table.

    python3 bench/compare.py                 # after scripts/setup.sh: files of 50,000 lines (about 80 MB)
    python3 bench/compare.py --lines 2000 --repeat 1   # a quick look
    python3 bench/compare.py --only jobs     # only whole jobs of 100,000 and 1,000,000 requests

Reading batch output files line by line, each reader in its own process and all doing the same work: our
ResultFileReader (build/bench/read_results TASK FILE [THREADS]) parsing each line in next() on one thread, and
parsing ahead on one thread per core (its parseThreads), Python's json.loads per line, Node's JSON.parse per
line (readline), and simdjson on the raw lines as the limit (build/bench/read_raw_simdjson ondemand|dom
TASK FILE): its on-demand API, which visits only the values a task needs, and its DOM API, which parses
and validates every value. The tasks:
  (a) outcomes by custom_id: each line's custom_id; succeeded when error is null and response is an
      object with a 2xx status_code, failed otherwise;
  (b) usage.total_tokens summed, and each answer's text (choices[0].message.content, when a non-empty string) taken
      as a string of its own, one at a time;
  (c) every embedding vector read into 32-bit floats.
(a) and (b) run on a chat file (--lines lines, about 80 MB at 50,000) and a unicode file (the same count,
answers in other scripts, a third of the lines in \\u escapes; about 95 MB); (c) on an embeddings file (a
25th of the lines, 1,536 floats each; about 68 MB). bench/make_output_file.py writes them once into
BUILD/bench-data. Each reader prints one line, the task's counts and its peak RSS (see READING_PROTOCOL
below); the counts must agree across readers before the table prints. Throughput is the file size over the
process's wall time (best of --repeat runs), CPU is that run's user and system time (more than the wall
time for a reader on several threads); peak RSS is the VmHWM each process reads from
/proc/self/status as it ends (rusage would count the forking Python parent's pages too), the largest over
the runs. After the table: the targets with PASS or FAIL for each of our two readers, and their task (b) peak RSS on chat files of a
tenth, one and five times the lines (8, 80 and 400 MB at 50,000), which must stay under 16 MiB and flat.

Writing --lines request lines: our RequestFileWriter against a Python json.dumps loop, timed and measured
the same way.

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
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The reading protocol. Every reader is run as `READER TASK FILE` (TASK a, b or c), skips blank lines, exits
# non-zero on a line it cannot read, and prints one line of whitespace-separated fields, the last its peak RSS
# in KiB (VmHWM):
#   a: lines succeeded failed id_bytes hwm      (id_bytes: custom_id's UTF-8 bytes, summed)
#   b: lines answers tokens text_bytes hwm      (answers: lines whose answer text is a non-empty string; text_bytes:
#                                                their UTF-8 bytes, summed)
#   c: lines vectors floats checksum hwm        (checksum: each vector's first float as float32, summed,
#                                                6 decimals)
READING_PROTOCOL = {"a": "lines succeeded failed id_bytes", "b": "lines answers tokens text_bytes",
                    "c": "lines vectors floats checksum"}
READING_TASKS = {"a": "(a) outcomes by custom_id", "b": "(b) tokens + answer texts", "c": "(c) embeddings to float32"}

PYTHON_LINES = r"""
import json, sys
from array import array

def json_lines(path):
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)

def peak_rss_kib():
    with open("/proc/self/status") as status:
        return next(l for l in status if l.startswith("VmHWM")).split()[1]
"""

PYTHON_READERS = {
    "a": PYTHON_LINES + r"""
lines = succeeded = id_bytes = 0
for d in json_lines(sys.argv[1]):
    lines += 1
    id_bytes += len(d["custom_id"].encode("utf-8"))
    r = d.get("response")
    if d.get("error") is None and isinstance(r, dict) and 200 <= r.get("status_code", 0) < 300:
        succeeded += 1
print(lines, succeeded, lines - succeeded, id_bytes, peak_rss_kib())
""",
    "b": PYTHON_LINES + r"""
lines = answers = tokens = text_bytes = 0
for d in json_lines(sys.argv[1]):
    lines += 1
    body = (d.get("response") or {}).get("body") or {}
    choices = body.get("choices")
    text = choices[0].get("message", {}).get("content") if choices else None
    if isinstance(text, str) and text:
        answers += 1
        text_bytes += len(text.encode("utf-8"))
    usage = body.get("usage")
    if usage:
        tokens += usage["total_tokens"]
print(lines, answers, tokens, text_bytes, peak_rss_kib())
""",
    "c": PYTHON_LINES + r"""
lines = vectors = floats = 0
checksum = 0.0
for d in json_lines(sys.argv[1]):
    lines += 1
    body = (d.get("response") or {}).get("body") or {}
    for item in body.get("data") or ():
        vector = array("f", item["embedding"])
        vectors += 1
        floats += len(vector)
        if vector:
            checksum += vector[0]
print(lines, vectors, floats, f"{checksum:.6f}", peak_rss_kib())
""",
}

NODE_LINES = r"""
const fs = require("fs");
function eachJsonLine(path, visit, done) {
  const lines = require("readline").createInterface({input: fs.createReadStream(path), crlfDelay: Infinity});
  lines.on("line", (line) => { if (line.trim()) visit(JSON.parse(line)); });
  lines.on("close", done);
}
function peakRssKiB() {
  return fs.readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmHWM")).split(/\s+/)[1];
}
"""

NODE_READERS = {
    "a": NODE_LINES + r"""
let lines = 0, succeeded = 0, idBytes = 0;
eachJsonLine(process.argv[1], (d) => {
  lines++;
  idBytes += Buffer.byteLength(d.custom_id, "utf8");
  const r = d.response;
  if (d.error == null && r && typeof r === "object" && r.status_code >= 200 && r.status_code < 300) succeeded++;
}, () => console.log(lines, succeeded, lines - succeeded, idBytes, peakRssKiB()));
""",
    "b": NODE_LINES + r"""
let lines = 0, answers = 0, tokens = 0, textBytes = 0;
eachJsonLine(process.argv[1], (d) => {
  lines++;
  const body = d.response?.body;
  const text = body?.choices?.[0]?.message?.content;
  if (typeof text === "string" && text.length > 0) {
    answers++;
    textBytes += Buffer.byteLength(text, "utf8");
  }
  if (body?.usage) tokens += body.usage.total_tokens;
}, () => console.log(lines, answers, tokens, textBytes, peakRssKiB()));
""",
    "c": NODE_LINES + r"""
let lines = 0, vectors = 0, floats = 0, checksum = 0;
eachJsonLine(process.argv[1], (d) => {
  lines++;
  for (const item of d.response?.body?.data ?? []) {
    const vector = Float32Array.from(item.embedding);
    vectors++;
    floats += vector.length;
    if (vector.length) checksum += vector[0];
  }
}, () => console.log(lines, vectors, floats, checksum.toFixed(6), peakRssKiB()));
""",
}

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
    """(wall seconds, stdout fields, CPU seconds) of one process; its last field is its VmHWM in KiB."""
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"compare.py: {' '.join(command[:2])} failed: {result.stderr.strip()}")
    return elapsed, result.stdout.split(), children_cpu_seconds() - cpu_before


def children_cpu_seconds():
    """User and system time of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best(command, repeat):
    """(best seconds, peak RSS in MiB over the runs, the first run's fields)."""
    return best_in_turns({"": command}, repeat)[""][:3]


def best_in_turns(commands, repeat):
    """best() for several commands, run in turns (each once per round) so that a slow spell of a shared
    machine falls on every contender alike: {name: (best seconds, peak RSS MiB, the first run's fields, CPU
    seconds of the best run)}."""
    runs = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(run(command))
    results = {}
    for name, done in runs.items():
        fastest = min(done, key=lambda r: r[0])
        results[name] = (fastest[0], max(int(r[1][-1]) for r in done) / 1024.0, done[0][1], fastest[2])
    return results


def make_file(path, kind, lines):
    """A batch output file of `kind` (bench/make_output_file.py), written once and kept for later runs; a
    run stopped while writing leaves only the .part file, never a short file under the kept name."""
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "make_output_file.py"), path + ".part", "--kind", kind,
                        "--lines", str(lines)], check=True)
        os.rename(path + ".part", path)
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
    writer = os.path.join(args.build, "bench", "write_requests")
    print_reading(args.build, work, args.lines, args.repeat)

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

    print_model_costs(os.path.join(args.build, "bench", "model_bench"), args.model_repetitions if args.repeat > 1 else 1)
    servers = [("ours", os.path.join(args.build, "tools", "batch_server", "openai-batch-server"))]
    if args.baseline_server:
        servers.append(("baseline", args.baseline_server))
    print_transfers(args.build, work, (10, 200) if args.repeat > 1 else (1, 4), servers)
    print_server_load(args.build, work, servers, 10 if args.repeat > 1 else 1, 10000 if args.repeat > 1 else 200)
    print_job_scale(args.build, work, job_sizes)
    return 0


CORES = os.cpu_count() or 1
OURS, OURS_CORES, PYTHON, NODE, ONDEMAND, DOM = ("ours, 1 thread (read_results)",
                                                 f"ours, {CORES} threads (read_results, parseThreads {CORES})",
                                                 "Python json.loads", "Node JSON.parse", "simdjson on-demand (raw)",
                                                 "simdjson DOM (raw)")


def readers(build, task, path):
    """Each reader's command for one task on one file, in the order of the table."""
    raw = os.path.join(build, "bench", "read_raw_simdjson")
    ours = os.path.join(build, "bench", "read_results")
    return {OURS: [ours, task, path],
            OURS_CORES: [ours, task, path, str(CORES)],
            PYTHON: [sys.executable, "-c", PYTHON_READERS[task], path],
            NODE: ["node", "-e", NODE_READERS[task], path],
            ONDEMAND: [raw, "ondemand", task, path],
            DOM: [raw, "dom", task, path]}


def print_reading(build, work, lines, repeat):
    """Every reader on every task and file; the counts checked before anything prints; then the targets
    and our reader's memory as the file grows."""
    files = {kind: make_file(os.path.join(work, f"output-{kind}-{count}.jsonl"), kind, count)
             for kind, count in (("chat", lines), ("unicode", lines), ("embeddings", max(1, lines // 25)))}
    results = {}
    for task, kind in (("a", "chat"), ("a", "unicode"), ("b", "chat"), ("b", "unicode"), ("c", "embeddings")):
        results[task, kind] = best_in_turns(readers(build, task, files[kind]), repeat)
        check_agreement(task, kind, {name: fields for name, (_, _, fields, _) in results[task, kind].items()})

    print(f"Reading batch output files line by line (best of {repeat}; wall time per process; every reader does "
          f"the same task; {CORES} cores)\n")
    print("| task | file | contender | MB | MB/s | CPU s | peak RSS MiB | ours (1 thread) vs this |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for (task, kind), by_reader in results.items():
        megabytes = os.path.getsize(files[kind]) / 1e6
        ours = by_reader[OURS][0]
        for name, (seconds, rss, _, cpu) in by_reader.items():
            print(f"| {READING_TASKS[task]} | {kind} | {name} | {megabytes:.1f} | {megabytes / seconds:.0f} | "
                  f"{cpu:.2f} | {rss:.1f} | {seconds / ours:.2f}x |")
    print_reading_targets({run: {name: r[0] for name, r in by_reader.items()} for run, by_reader in results.items()})
    print_reader_memory(build, work, lines, repeat)


def check_agreement(task, kind, said):
    """Exits, naming who said what, unless every reader printed the same counts for the task: every field
    but the peak RSS, the checksum to 1e-3 relative (or its 6 printed decimals)."""
    fields = READING_PROTOCOL[task].split()

    def agree(mine, theirs):
        if len(mine) != len(fields) + 1 or len(theirs) != len(fields) + 1:
            return False
        if task == "c":
            return mine[:3] == theirs[:3] and math.isclose(as_float(mine[3]), as_float(theirs[3]), rel_tol=1e-3,
                                                           abs_tol=1e-6)
        return mine[:-1] == theirs[:-1]

    first = next(iter(said.values()))
    if not all(agree(first, theirs) for theirs in said.values()):
        who = "\n".join(f"  {name}: {' '.join(printed)}" for name, printed in said.items())
        sys.exit(f"compare.py: the readers disagree on {READING_TASKS[task]} on the {kind} file "
                 f"(fields: {READING_PROTOCOL[task]} hwm):\n{who}")


def as_float(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def print_reading_targets(seconds):
    """The reading targets, from the best wall times of the table, for each of our two readers."""
    print("\nReading targets (from the best wall times above)\n")
    print("| target | measured | result |")
    print("|---|---:|---|")
    for ours in (OURS, OURS_CORES):
        for kind in ("chat", "unicode"):
            times = seconds["b", kind]
            for other in (PYTHON, NODE):
                speedup = times[other] / times[ours]
                print_target(f"(b) {kind}: {ours} at least 5x as fast as {other}", speedup, speedup >= 5)
            # Two limits: the DOM parse checks every value, as ours, Python and Node do (the same work); the
            # on-demand parse skips the values the task does not visit, so it checks less than any other row.
            for raw, work in ((DOM, "the same work: every value checked"), (ONDEMAND, "checks only what it visits")):
                ratio = times[ours] / times[raw]
                print_target(f"(b) {kind}: {ours} time / {raw} time ({work}) at most 1.5", ratio, ratio <= 1.5)
        times = seconds["c", "embeddings"]
        speedup = times[PYTHON] / times[ours]
        print_target(f"(c) embeddings: {ours} at least 8x as fast as {PYTHON}", speedup, speedup >= 8)


def print_target(label, measured, passed, form="{:.2f}x"):
    print(f"| {label} | {form.format(measured)} | {'PASS' if passed else 'FAIL'} |")


def print_reader_memory(build, work, lines, repeat):
    """Our task (b) peak RSS on chat files of a tenth, one and five times the lines. Flat means at most
    1 MiB more on the largest file than on the smallest (50 times the data)."""
    print(f"\nPeak RSS of our readers, task (b) on chat files (largest of {repeat} runs; target: under 16 MiB "
          "and flat)\n")
    print(f"| lines | MB | peak RSS MiB, 1 thread | peak RSS MiB, {CORES} threads |")
    print("|---:|---:|---:|---:|")
    peaks = {OURS: [], OURS_CORES: []}
    for count in (max(1, lines // 10), lines, lines * 5):
        path = make_file(os.path.join(work, f"output-chat-{count}.jsonl"), "chat", count)
        commands = readers(build, "b", path)
        for ours in peaks:
            peaks[ours].append(best(commands[ours], repeat)[1])
        print(f"| {count:,} | {os.path.getsize(path) / 1e6:.1f} | {peaks[OURS][-1]:.1f} | {peaks[OURS_CORES][-1]:.1f} |")
    print()
    for ours, peak in peaks.items():
        growth = peak[-1] - peak[0]
        passed = max(peak) < 16 and growth <= 1
        print(f"{ours}: under 16 MiB and flat: at most {max(peak):.1f} MiB, {growth:+.1f} MiB from the smallest file "
              f"to the largest: {'PASS' if passed else 'FAIL'}")


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
                _, fields, _ = run([os.path.join(build, "bench", "transfer"), url, str(megabytes), work],
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
                _, fields, _ = run([load, str(server.port), str(seconds), "50"] + args)
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
    overheads = {}
    for document in ("Batch", "ListBatchesResponse", "BatchRequestOutput"):
        for step, label in steps.items():
            pairs = runs[f"{document}/{step}"]
            raw = statistics.median(r for r, _ in pairs)
            model = statistics.median(m for _, m in pairs)
            overheads[document, step] = statistics.median(m / r - 1 for r, m in pairs) * 100
            print(f"| {document} | {label} | {raw:,.0f} | {model:,.0f} | {overheads[document, step]:+.0f}% |")
    print("\nModel targets: reading within +30% of cpprestsdk's parse; writing (toJson + serialize) within 10 "
          "points of copying a parsed tree + serialize, the floor of any toJson that returns a web::json::value\n")
    print("| target | measured | result |")
    print("|---|---:|---|")
    for document in ("Batch", "ListBatchesResponse", "BatchRequestOutput"):
        read = overheads[document, "read"]
        print_target(f"{document}: parse + fromJson at most +30%", read, read <= 30, "{:+.0f}%")
        gap = overheads[document, "write"] - overheads[document, "tree_write"]
        print_target(f"{document}: toJson + serialize at most 10 points over the tree copy", gap, gap <= 10,
                     "{:+.0f} points")


if __name__ == "__main__":
    sys.exit(main())
