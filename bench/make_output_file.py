"""Writes a realistic batch output file: chat-completion results, one JSON object per line.

    python3 bench/make_output_file.py OUT.jsonl [--lines 50000] [--copies 1]

About 1.6 KB a line (80 MB for 50,000 lines), like a real /v1/chat/completions output file: ids, a
completion of a few hundred words, usage counts, and a few failed requests (HTTP 400 and 429 bodies).
Deterministic: the same arguments write the same bytes. --copies repeats the content (with fresh ids),
for showing that memory does not grow with the file.
"""
import argparse
import json
import random

WORDS = ("the batch api runs large jobs asynchronously at half the cost of synchronous requests and "
         "returns results within twenty four hours each line of the output file carries one response "
         "matched to its custom id model tokens prompt completion usage latency throughput").split()


def completion(rng: random.Random, index: int) -> dict:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(135, 185)))
    prompt, produced = rng.randint(20, 400), rng.randint(150, 400)
    return {
        "id": f"chatcmpl-{index:08x}{rng.getrandbits(64):016x}",
        "object": "chat.completion",
        "created": 1711652795 + index,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": words, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": produced, "total_tokens": prompt + produced,
                  "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
        "system_fingerprint": "fp_0ba0d124f1",
    }


def line(rng: random.Random, index: int, copy: int) -> str:
    custom_id = f"request-{copy}-{index}"
    if index % 97 == 13:
        status, body = 400, {"error": {"message": "Invalid 'messages': empty array.", "type": "invalid_request_error",
                                       "param": "messages", "code": "empty_array"}}
    else:
        status, body = 200, completion(rng, index)
    return json.dumps({"id": f"batch_req_{copy}_{index:08d}", "custom_id": custom_id,
                       "response": {"status_code": status, "request_id": f"req_{rng.getrandbits(96):024x}", "body": body},
                       "error": None}) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--lines", type=int, default=50000)
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for copy in range(args.copies):
            rng = random.Random(20261128)
            for index in range(args.lines):
                f.write(line(rng, index, copy))


if __name__ == "__main__":
    main()
