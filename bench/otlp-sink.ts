// `node bench/otlp-sink.ts PORT`: an OTLP/HTTP trace receiver for the traced benchmark server, in a
// process of its own so that what it costs is not the server's or the load generator's. It reads each
// export whole (as a collector would) and answers with an empty ExportTraceServiceResponse.
import { createServer } from 'node:http';

let exports = 0;
let bytes = 0;
createServer((request, response) => {
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  request.on('end', () => {
    exports++;
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' });
    response.end();
  });
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));

process.on('SIGTERM', () => {
  console.error(`otlp sink: ${exports} exports, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  process.exit(0);
});
