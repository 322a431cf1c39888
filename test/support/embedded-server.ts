import { type ChildProcess, spawn } from 'node:child_process';
import type { TestServer } from './server.ts';

/**
 * `npm start` as a user runs it, in a process of its own: no DATABASE_URL, no REDIS_URL, no JWT_SECRET
 * (PGlite and the in-process stand-ins), plus `env`. Resolves once it listens.
 */
export async function startEmbeddedServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; server: TestServer }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) delete childEnv[name];
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      buffered += chunk;
      const match = /"port":(\d+)/.exec(buffered);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  return { child, server: { url, graphqlUrl: `${url}/graphql`, stop: async () => {} } };
}
