// Drives the local Batch API server with the official OpenAI Node SDK (a client we did not write):
// upload (with an expiry), create (with an output expiry), retrieve until done, download, list, cancel
// and delete; and receives the server's batch webhooks on WEBHOOK_PORT, verified by the SDK's own
// webhooks.unwrap with SECRET. Prints one JSON summary.
//
//   node test/cli/official_sdk.mjs BASE_URL REQUEST_FILE WEBHOOK_PORT SECRET
import fs from "node:fs";
import http from "node:http";
import OpenAI from "openai";

const [baseURL, requestFile, webhookPort, webhookSecret] = process.argv.slice(2);
const client = new OpenAI({ apiKey: "sk-official-sdk", baseURL, maxRetries: 0, timeout: 20000, webhookSecret });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const terminal = new Set(["completed", "failed", "expired", "cancelled"]);

// The webhook receiver: every delivery the SDK verifies is kept; one it refuses is recorded as refused.
const events = [];
const refused = [];
const receiver = http.createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => { body += chunk; });
  request.on("end", async () => {
    try {
      events.push(await client.webhooks.unwrap(body, request.headers));
      response.writeHead(200).end();
    } catch (error) {
      refused.push(String(error));
      response.writeHead(400).end();
    }
  });
});
await new Promise((resolve) => receiver.listen(Number(webhookPort), "127.0.0.1", resolve));

const file = await client.files.create({
  file: fs.createReadStream(requestFile), purpose: "batch", expires_after: { anchor: "created_at", seconds: 86400 },
});
let batch = await client.batches.create({
  input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { via: "official-sdk" },
  output_expires_after: { anchor: "created_at", seconds: 7200 },
});
while (!terminal.has(batch.status)) {
  await sleep(50);
  batch = await client.batches.retrieve(batch.id);
}
const output = await (await client.files.content(batch.output_file_id)).text();
const outputFile = await client.files.retrieve(batch.output_file_id);
const listed = [];
for await (const item of client.batches.list({ limit: 1 })) listed.push(item.id);
const files = [];
for await (const item of client.files.list({ purpose: "batch" })) files.push(item.id);
const second = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
const cancelled = await client.batches.cancel(second.id);
const retrieved = await client.files.retrieve(file.id);
let badExpiry = null;
try {
  await client.batches.create({
    input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h",
    output_expires_after: { anchor: "created_at", seconds: 60 },
  });
} catch (error) {
  badExpiry = { status: error.status, param: error.param ?? error.error?.param };
}
let missing = null;
try {
  await client.batches.retrieve("batch_does_not_exist");
} catch (error) {
  missing = { status: error.status, type: error.error?.type ?? error.type, requestId: error.request_id ?? error.requestID };
}
for (let i = 0; i < 500 && events.length + refused.length < 2; ++i) await sleep(20);
receiver.close();
console.log(JSON.stringify({
  status: batch.status,
  counts: batch.request_counts,
  model: batch.model,
  usage: batch.usage,
  uploadExpiry: file.expires_at - file.created_at,
  uploadStatus: file.status,
  outputExpiry: outputFile.expires_at - outputFile.created_at,
  badExpiry,
  events: events.map((event) => ({ type: event.type, batch: event.data.id })),
  refused,
  batchIds: [batch.id, second.id],
  metadata: batch.metadata,
  outputLines: output.trim().split("\n").map((line) => JSON.parse(line).custom_id),
  listed,
  files,
  cancelStatus: cancelled.status,
  filename: retrieved.filename,
  missing,
}));
