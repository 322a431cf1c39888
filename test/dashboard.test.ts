import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisLikeClassifier } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  createModel,
  modelWithVersion,
  PASSWORD,
  PredictDocument,
  registerUser,
  type TestUser,
  uploadVersion,
} from './support/fixtures.ts';
import { run, startServer, type TestServer, uploadFile } from './support/server.ts';
import { startWorker, type TestWorker } from './support/worker.ts';

const DashboardTrainingDocument = graphql(`
  mutation DashboardTraining($input: StartTrainingInput!) {
    startTraining(input: $input) {
      id
    }
  }
`);

const DashboardKeyDocument = graphql(`
  mutation DashboardKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
    }
  }
`);

const DashboardLogoutEverywhereDocument = graphql(`
  mutation DashboardLogoutEverywhere {
    logoutEverywhere
  }
`);

const IRIS = readFileSync(new URL('./fixtures/iris.csv', import.meta.url), 'utf8');

let server: TestServer;
let worker: TestWorker;
let browser: Browser;

beforeAll(async () => {
  // A queue of this file's own: another file's worker (killed and restarted on purpose) takes none of its jobs.
  const queue = { QUEUE_PREFIX: `dashboard-${randomUUID().slice(0, 8)}` };
  // One after another, so whatever started is stopped below when a later one fails.
  server = await startServer(queue);
  worker = await startWorker(queue);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await server?.stop();
});

/** A new page, with every script error, console error and refused resource (CSP) collected. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
  });
  await page.goto(`${server.url}/dashboard`);
  return { page, problems };
}

async function signInWithPassword(page: Page, user: TestUser) {
  await page.fill('#password-form [name=email]', user.email);
  await page.fill('#password-form [name=password]', PASSWORD);
  await page.click('#password-form button');
  await page.locator('#connection[data-state=live]').waitFor();
  expect(await page.locator('#sign-in').isVisible()).toBe(false);
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

describe('the dashboard', () => {
  it('signs in with a password, lists the models, and streams predictions and a training job live', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, irisLikeClassifier());
    const { page, problems } = await openPage();
    expect(page.url()).toBe(`${server.url}/dashboard/`);
    await signInWithPassword(page, user);
    expect(await text(page, '#viewer')).toBe(`${user.email} · free`);
    await expect.poll(() => text(page, `#models li[data-id="${model.id}"]`)).toContain('active v1');

    // Three distinct rows, then the first again: four predictions, one from the cache.
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
      [5.9, 3.0, 4.2, 1.5],
      [5.1, 3.5, 1.4, 0.2],
    ];
    for (const row of rows)
      await run(server, PredictDocument, { input: { modelId: model.id, inputs: [row] } }, user.auth);
    await expect.poll(() => text(page, '#prediction-count')).toBe('4');
    expect(await text(page, '#cached-share')).toBe('25%');
    expect(await page.locator('#predictions tbody tr').count()).toBe(4);
    expect(await text(page, '#predictions tbody tr td:nth-child(2)')).toBe(model.name);
    expect(await text(page, '#predictions tbody tr td:nth-child(5)')).toBe('yes');
    expect(Number(await text(page, '#latency-p50'))).toBeGreaterThan(0);
    expect(Number(await text(page, '#prediction-rate'))).toBeGreaterThan(0);

    const started = await uploadFile(
      server,
      DashboardTrainingDocument,
      {
        input: {
          modelId: model.id,
          dataset: null as unknown as File,
          labelColumn: 'species',
          algorithm: 'MLP',
          hiddenUnits: 128,
          epochs: 1000,
        },
      },
      { bytes: new TextEncoder().encode(IRIS), name: 'iris.csv', at: 'variables.input.dataset' },
      user.auth,
    );
    expect(started.errors).toBeUndefined();
    const job = page.locator(`.job[data-id="${started.data!.startTraining.id}"]`);
    await job.and(page.locator('[data-status=SUCCEEDED]')).waitFor({ timeout: 60_000 });
    // A curve of several epochs, drawn, and the version the job published in the model list.
    expect(Number(await job.getAttribute('data-epochs'))).toBeGreaterThan(2);
    expect(await job.locator('canvas').count()).toBe(1);
    expect(await job.locator('.figures').textContent()).toMatch(
      /epoch 1000 · loss \d\.\d{3} .* accuracy [01]\.\d{3}/,
    );
    await expect.poll(() => text(page, `#models li[data-id="${model.id}"]`)).toContain('active v2');

    if (process.env.DASHBOARD_SCREENSHOT)
      await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('takes an API key, writes what users stored as text, and signs out when the session ends', async () => {
    const user = await registerUser(server);
    const hostile = '<img src=x onerror="document.title=`owned`">';
    const model = await createModel(server, user, hostile);
    await uploadVersion(server, user, model.id, irisLikeClassifier());
    const { createApiKey } = await run(
      server,
      DashboardKeyDocument,
      { input: { name: 'dashboard', scopes: ['MODELS_READ', 'PREDICT', 'TRAIN'] } },
      user.auth,
    );
    const { page, problems } = await openPage();

    await page.fill('#credential-form [name=credential]', 'not a credential');
    await page.click('#credential-form button');
    await expect.poll(() => text(page, '#sign-in-error')).toMatch(/neither a token .* nor an mlp API key/);
    await page.fill('#credential-form [name=credential]', createApiKey.secret);
    await page.click('#credential-form button');
    await page.locator('#connection[data-state=live]').waitFor();
    expect(await page.locator('#sign-in').isVisible()).toBe(false);
    await expect.poll(() => text(page, `#models li[data-id="${model.id}"] strong`)).toBe(hostile);
    expect(await page.locator('#models img').count()).toBe(0);
    expect(await page.title()).toBe('mlp dashboard');
    await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[1, 2, 3, 4]] } },
      {
        headers: { 'x-api-key': createApiKey.secret },
      },
    );
    await expect.poll(() => text(page, '#prediction-count')).toBe('1');
    expect(problems).toEqual([]);
    await page.close();

    // Signed in with a password, then every session of the user ends elsewhere: the page says so.
    const second = await openPage();
    await signInWithPassword(second.page, user);
    await run(server, DashboardLogoutEverywhereDocument, {}, user.auth);
    await second.page.locator('#sign-in').waitFor({ state: 'visible' });
    expect(await second.page.locator('#dashboard').isVisible()).toBe(false);
    expect(await text(second.page, '#sign-in-error')).toMatch(/^Signed out/);
    await second.page.close();
  });

  it('serves only its own files, with a strict content security policy', async () => {
    const page = await fetch(`${server.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const etag = page.headers.get('etag')!;
    expect((await fetch(`${server.url}/dashboard/`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    for (const asset of ['dashboard.js', 'vendor/uPlot.js', 'vendor/graphql-ws.js', 'vendor/uPlot.css'])
      expect((await fetch(`${server.url}/dashboard/${asset}`)).status).toBe(200);
    expect((await fetch(`${server.url}/dashboard/`, { method: 'POST' })).status).toBe(405);
    // A path that climbs out of the folder reaches nothing on disk (sent raw: fetch would resolve the dots).
    const climbed = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(server.url);
      httpRequest({ host: '127.0.0.1', port, path: '/dashboard/../package.json' }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(climbed).toBe(404);
  });
});
