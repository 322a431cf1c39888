// The guarded client webhooks are sent with, against servers in this process: what it refuses to
// reach, and what it does not wait for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutboundPolicy, postOnce } from '../src/infra/net/outbound-post.ts';

let server: Server;
let port: number;
const reached: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    reached.push(request.url ?? '');
    if (request.url === '/redirect') response.writeHead(302, { location: '/elsewhere' }).end();
    else if (request.url === '/silent')
      request.resume(); // never answers
    else if (request.url === '/large') response.writeHead(200).end('x'.repeat(1_000_000));
    else response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const allowed: OutboundPolicy = { timeoutMs: 1000, allowPrivate: true, maxResponseBytes: 1024 };
const post = (url: string, policy = allowed) => postOnce(new URL(url), '{}', {}, policy);

describe('postOnce', () => {
  it('does not reach private addresses unless allowed, by IP or by name', async () => {
    const strict = { ...allowed, allowPrivate: false };
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
      await expect(post(`http://${host}:${port}/refused`, strict)).rejects.toThrow(/not a public address/);
    }
    expect(reached).not.toContain('/refused');
    expect(await post(`http://localhost:${port}/ok`)).toMatchObject({ status: 204 });
  });

  it('answers a redirect as it is, without following it', async () => {
    expect(await post(`http://127.0.0.1:${port}/redirect`)).toMatchObject({ status: 302 });
    expect(reached).not.toContain('/elsewhere');
  });

  it('gives up at its deadline, and reads no more of an answer than it keeps', async () => {
    await expect(post(`http://127.0.0.1:${port}/silent`)).rejects.toThrow(/abort/i);
    const large = await post(`http://127.0.0.1:${port}/large`);
    expect(large.status).toBe(200);
    expect(large.body.length).toBe(1024);
  });
});
