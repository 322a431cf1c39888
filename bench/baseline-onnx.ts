// Baseline (a): a bare node:http server that runs the same ONNX file with onnxruntime directly: no
// GraphQL, no authentication, no database. What mlp's predict is measured against.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const [modelPath, port] = process.argv.slice(2);
const session = await InferenceSession.create(readFileSync(modelPath!));
const inputName = session.inputNames[0]!;

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    const rows = JSON.parse(Buffer.concat(chunks).toString()).inputs as number[][];
    const tensor = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);
    const results = await session.run({ [inputName]: tensor });
    const outputs = Object.fromEntries(
      Object.entries(results).map(([name, value]) => [name, Array.from(value.data as Float32Array)]),
    );
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ outputs }));
  });
}).listen(Number(port), () => console.log('ready'));
