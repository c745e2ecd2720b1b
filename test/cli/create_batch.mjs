// Uploads a request file and creates a batch from it with the official OpenAI Node SDK, skipping every
// check this package would make. Prints the batch id.
//
//   node test/cli/create_batch.mjs BASE_URL REQUEST_FILE
import fs from "node:fs";
import OpenAI from "openai";

const [baseURL, requestFile] = process.argv.slice(2);
const client = new OpenAI({ apiKey: "sk-official-sdk", baseURL, maxRetries: 0 });
const file = await client.files.create({ file: fs.createReadStream(requestFile), purpose: "batch" });
const batch = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
console.log(batch.id);
