import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The page's own address: a folder, so its assets and `../graphql` resolve relative to it behind any prefix. */
const DASHBOARD_PATH = '/dashboard/';

/**
 * The page may load only its own files and talk only to its own origin (GraphQL over HTTP and WebSocket):
 * no inline script or style, no frame around it, no form posting elsewhere. What a user stored (a model's
 * name) is written as text, never markup, and this stops whatever slipped through from running.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

type File = { body: Buffer; type: string; etag: string };

const require = createRequire(import.meta.url);
/** A file of a package that its `exports` do not list (graphql-ws's browser bundle), by its folder. */
const packageFile = (name: string, file: string) =>
  new URL(file, pathToFileURL(require.resolve(`${name}/package.json`)));
const own = (name: string) => new URL(`./page/${name}`, import.meta.url);

/** Every file the dashboard serves, by name under DASHBOARD_PATH: a fixed list, so no path reaches the disk. */
const SOURCES: Record<string, { from: URL | string; type: string }> = {
  '': { from: own('index.html'), type: 'text/html; charset=utf-8' },
  'dashboard.js': { from: own('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { from: own('dashboard.css'), type: 'text/css; charset=utf-8' },
  // Bundled from npm, not a CDN: the page works on machines without internet.
  'vendor/graphql-ws.js': {
    from: packageFile('graphql-ws', 'umd/graphql-ws.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'vendor/uPlot.js': {
    from: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'vendor/uPlot.css': { from: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

function load(): Map<string, File> {
  const files = new Map<string, File>();
  for (const [name, { from, type }] of Object.entries(SOURCES)) {
    const body = readFileSync(from);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type, etag });
  }
  return files;
}

export type DashboardHandler = (request: IncomingMessage, response: ServerResponse, path: string) => boolean;

/**
 * Serves the dashboard's files from memory (read once, a few hundred KiB), revalidated by ETag; false
 * for any path outside it. `/dashboard` redirects to the folder.
 */
export function createDashboard(): DashboardHandler {
  const files = load();
  return (request, response, path) => {
    if (path === '/dashboard') {
      // Relative, so it holds behind a proxy that serves mlp under a prefix.
      response.writeHead(308, { location: 'dashboard/' }).end();
      return true;
    }
    if (!path.startsWith(DASHBOARD_PATH)) return false;
    const file = files.get(path.slice(DASHBOARD_PATH.length));
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return true;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const headers = {
      'content-type': file.type,
      etag: file.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...(file.type.startsWith('text/html') ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    };
    if (request.headers['if-none-match'] === file.etag) {
      response.writeHead(304, headers).end();
      return true;
    }
    response.writeHead(200, { ...headers, 'content-length': file.body.length });
    response.end(request.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
