"""Writes a realistic batch output file, one JSON object per line.

    python3 bench/make_output_file.py OUT.jsonl [--kind chat|unicode|embeddings] [--lines 50000] [--copies 1]

- chat (the default): /v1/chat/completions results of about 1.6 KB a line (80 MB for 50,000 lines): ids, a
  completion of a few hundred English words, usage counts, and a few failed requests (HTTP 400 bodies).
- unicode: the same shape with answers in Chinese, Japanese, Russian, Greek, Arabic and emoji, with quotes,
  tabs and newlines to escape; one line in three written with \\u escapes only (as json.dumps does by
  default, emoji as surrogate pairs); 5% failed: HTTP 400 and 429 bodies and batch_expired error lines.
- embeddings: /v1/embeddings results, each with one vector of 1,536 floats (about 32 KB a line).
Deterministic: the same arguments write the same bytes. --copies repeats the content (with fresh ids),
for showing that memory does not grow with the file.
"""
import argparse
import json
import random

WORDS = ("the batch api runs large jobs asynchronously at half the cost of synchronous requests and "
         "returns results within twenty four hours each line of the output file carries one response "
         "matched to its custom id model tokens prompt completion usage latency throughput").split()

UNICODE_WORDS = ("批处理 接口 以一半的成本 异步运行 大型任务 バッチ 処理は 二十四時間以内に 結果を 返します "
                 "пакетный интерфейс выполняет большие задания асинхронно Η διεπαφή δέσμης επιστρέφει "
                 "αποτελέσματα الواجهة تعالج المهام الكبيرة 🚀 ✅ 📦 😀 🧮 naïve café Zürich "
                 "\"quoted\" back\\slash tab\there new\nline").split(" ")

EMBEDDING_DIMENSIONS = 1536


def usage(rng: random.Random) -> dict:
    prompt, produced = rng.randint(20, 400), rng.randint(150, 400)
    return {"prompt_tokens": prompt, "completion_tokens": produced, "total_tokens": prompt + produced,
            "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}


def completion(rng: random.Random, index: int, words, length) -> dict:
    answer = " ".join(rng.choice(words) for _ in range(rng.randint(*length)))
    counts = usage(rng)
    return {
        "id": f"chatcmpl-{index:08x}{rng.getrandbits(64):016x}",
        "object": "chat.completion",
        "created": 1711652795 + index,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": counts,
        "system_fingerprint": "fp_0ba0d124f1",
    }


def embedding(rng: random.Random) -> dict:
    tokens = rng.randint(8, 300)
    return {"object": "list",
            "data": [{"object": "embedding", "index": 0,
                      "embedding": [rng.uniform(-0.1, 0.1) for _ in range(EMBEDDING_DIMENSIONS)]}],
            "model": "text-embedding-3-small", "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def failure(kind: str, index: int) -> tuple:
    if kind == "unicode" and index % 80 == 23:
        return 429, {"error": {"message": "Rate limit reached for requests.", "type": "requests",
                               "param": None, "code": "rate_limit_exceeded"}}
    return 400, {"error": {"message": "Invalid 'messages': empty array.", "type": "invalid_request_error",
                           "param": "messages", "code": "empty_array"}}


def line(rng: random.Random, kind: str, index: int, copy: int) -> str:
    custom_id = f"request-{copy}-{index}"
    record = {"id": f"batch_req_{copy}_{index:08d}", "custom_id": custom_id, "response": None, "error": None}
    if kind == "unicode" and index % 80 == 63:
        record["error"] = {"code": "batch_expired",
                           "message": "This request could not be executed before the completion window expired."}
        return json.dumps(record, ensure_ascii=False) + "\n"
    if kind == "chat" and index % 97 == 13 or kind == "unicode" and index % 40 in (3, 23):
        status, body = failure(kind, index)
    elif kind == "embeddings":
        status, body = 200, embedding(rng)
    else:
        status, body = 200, (completion(rng, index, UNICODE_WORDS, (60, 90)) if kind == "unicode"
                                  else completion(rng, index, WORDS, (135, 185)))
    record["response"] = {"status_code": status, "request_id": f"req_{rng.getrandbits(96):024x}", "body": body}
    return json.dumps(record, ensure_ascii=kind == "unicode" and index % 3 == 0) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--kind", choices=("chat", "unicode", "embeddings"), default="chat")
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for copy in range(args.copies):
            rng = random.Random(20261128)
            for index in range(args.lines):
                f.write(line(rng, args.kind, index, copy))


if __name__ == "__main__":
    main()
