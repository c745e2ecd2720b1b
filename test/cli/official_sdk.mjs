// Drives the local Batch API server with the official OpenAI Node SDK (a client we did not write):
// upload, create, retrieve until done, download, list, cancel and delete. Prints one JSON summary.
//
//   node test/cli/official_sdk.mjs BASE_URL REQUEST_FILE
import fs from "node:fs";
import OpenAI from "openai";

const [baseURL, requestFile] = process.argv.slice(2);
const client = new OpenAI({ apiKey: "sk-official-sdk", baseURL, maxRetries: 0, timeout: 20000 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const terminal = new Set(["completed", "failed", "expired", "cancelled"]);

const file = await client.files.create({ file: fs.createReadStream(requestFile), purpose: "batch" });
let batch = await client.batches.create({
  input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { via: "official-sdk" },
});
while (!terminal.has(batch.status)) {
  await sleep(50);
  batch = await client.batches.retrieve(batch.id);
}
const output = await (await client.files.content(batch.output_file_id)).text();
const listed = [];
for await (const item of client.batches.list({ limit: 1 })) listed.push(item.id);
const files = [];
for await (const item of client.files.list({ purpose: "batch" })) files.push(item.id);
const second = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
const cancelled = await client.batches.cancel(second.id);
const retrieved = await client.files.retrieve(file.id);
let missing = null;
try {
  await client.batches.retrieve("batch_does_not_exist");
} catch (error) {
  missing = { status: error.status, type: error.error?.type ?? error.type, requestId: error.request_id ?? error.requestID };
}
console.log(JSON.stringify({
  status: batch.status,
  counts: batch.request_counts,
  metadata: batch.metadata,
  outputLines: output.trim().split("\n").map((line) => JSON.parse(line).custom_id),
  listed,
  files,
  cancelStatus: cancelled.status,
  filename: retrieved.filename,
  missing,
}));
