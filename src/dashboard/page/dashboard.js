// The mlp dashboard: a page of the public GraphQL API, as any client would use it (queries over HTTP,
// subscriptions over graphql-ws), with no endpoint of its own. Plain modules, no build step: graphql-ws
// and uPlot come as the globals their browser bundles define. Everything a user stored (a model's name)
// is written with textContent, never as markup.

const { createClient } = globalThis.graphqlWs;
const { uPlot } = globalThis;

const GRAPHQL_URL = new URL('../graphql', location.href);
const SOCKET_URL = new URL(GRAPHQL_URL);
SOCKET_URL.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

/** Where the credential is kept: this tab's session storage, gone when the tab closes. */
const CREDENTIAL_KEY = 'mlp.dashboard.credential';
/** A message for the sign-in form after a reload (why the session ended). */
const NOTICE_KEY = 'mlp.dashboard.notice';
/** Close codes of a socket whose credential the server refused or ended: retrying cannot help. */
const REFUSED = new Set([4401, 4403]);
/** The longest wait before reconnecting, however long the server was away. */
const MAX_RETRY_MS = 30_000;

const WINDOW_SECONDS = 60;
const CHART_SECONDS = 120;
const RECENT_ROWS = 15;
const JOBS_SHOWN = 5;

const $ = (selector) => document.querySelector(selector);

/** An element with attributes and children; strings become text nodes, never markup. */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children.filter((child) => child !== null));
  return element;
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

// ---- the credential -------------------------------------------------------------------------------

/**
 * A JWT (three base64url parts) travels as a bearer token, an mlp API key (`mlp_…`) as X-API-Key.
 * `ownSession`: the dashboard signed in with a password, so signing out ends that session.
 */
function credentialFrom(text, ownSession = false) {
  const value = text.trim();
  if (value.startsWith('mlp_')) return { kind: 'apiKey', value, ownSession: false };
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) return { kind: 'token', value, ownSession };
  return null;
}

const headersOf = (credential) =>
  credential.kind === 'token'
    ? { Authorization: `Bearer ${credential.value}` }
    : { 'X-API-Key': credential.value };

class ApiError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.extensions?.code ?? null;
  }
}

async function request(query, variables, credential) {
  const response = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? headersOf(credential) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  // A proxy's error page is not JSON.
  const body = await response.json().catch(() => {
    throw new Error(`The server answered ${response.status} ${response.statusText}`.trim());
  });
  if (body.errors?.length) throw new ApiError(body.errors[0]);
  return body.data;
}

function endSession(notice) {
  sessionStorage.removeItem(CREDENTIAL_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  location.reload();
}

// ---- sign-in ----------------------------------------------------------------------------------------

async function signIn(credential) {
  const { me } = await request('{ me { email tier } }', {}, credential);
  sessionStorage.setItem(CREDENTIAL_KEY, JSON.stringify(credential));
  return me;
}

function showSignIn() {
  $('#sign-in').hidden = false;
  const error = $('#sign-in-error');
  error.textContent = sessionStorage.getItem(NOTICE_KEY) ?? '';
  sessionStorage.removeItem(NOTICE_KEY);
  const attempt = async (event, credential) => {
    event.preventDefault();
    error.textContent = '';
    // One sign-in at a time: a second click must not open a second dashboard.
    const buttons = document.querySelectorAll('#sign-in button');
    for (const button of buttons) button.disabled = true;
    try {
      const resolved = await credential();
      if (!resolved) throw new Error('That is neither a token (a JWT) nor an mlp API key (mlp_…).');
      const me = await signIn(resolved);
      $('#sign-in').hidden = true;
      startDashboard(resolved, me);
    } catch (failure) {
      error.textContent = failure.message;
      for (const button of buttons) button.disabled = false;
    }
  };
  $('#password-form').addEventListener('submit', (event) =>
    attempt(event, async () => {
      const form = new FormData(event.target);
      const { login } = await request(
        'mutation($input: LoginInput!) { login(input: $input) { token } }',
        { input: { email: form.get('email'), password: form.get('password') } },
        null,
      );
      return credentialFrom(login.token, true);
    }),
  );
  $('#credential-form').addEventListener('submit', (event) =>
    attempt(event, async () => credentialFrom(String(new FormData(event.target).get('credential')))),
  );
}

// ---- charts ---------------------------------------------------------------------------------------

/** A uPlot chart that follows its container's width. */
function chart(container, options, data) {
  const plot = new uPlot({ width: container.clientWidth || 400, height: 180, ...options }, data, container);
  const resize = new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: 180 }));
  resize.observe(container);
  return {
    setData: (next) => plot.setData(next),
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

/** A wait before the `attempt`th retry: doubling up to MAX_RETRY_MS, spread so clients do not return at once. */
const backoff = (attempt) =>
  new Promise((resolve) =>
    setTimeout(resolve, Math.min(MAX_RETRY_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)),
  );

const axis = (options) => ({ stroke: css('--muted'), grid: { stroke: css('--line') }, ...options });
const fromZero = (_plot, _min, max) => [0, Math.max(1, max ?? 1)];

// ---- predictions ----------------------------------------------------------------------------------

const PREDICTIONS = `subscription {
  predictionCompleted { id latencyMs cached model { id name } version { version } }
}`;

function predictionsPanel() {
  /** What arrived in the last CHART_SECONDS: when (ms, this clock), its latency, whether cached. */
  let recent = [];
  let seen = 0;
  let scheduled = false;
  const rates = chart(
    $('#prediction-chart'),
    {
      scales: { x: { time: true }, rate: { range: fromZero }, ms: { range: fromZero } },
      series: [
        {},
        { label: 'predictions/s', scale: 'rate', stroke: css('--accent'), width: 2 },
        // Points, since a second with predictions between two without would draw no line.
        { label: 'mean latency ms', scale: 'ms', stroke: '#e07b39', width: 1.5, points: { show: true } },
      ],
      axes: [axis({}), axis({ scale: 'rate' }), axis({ scale: 'ms', side: 1, grid: { show: false } })],
    },
    [[], [], []],
  );

  function refresh() {
    const now = Date.now();
    recent = recent.filter((p) => p.at > now - CHART_SECONDS * 1000);
    const last = recent.filter((p) => p.at > now - WINDOW_SECONDS * 1000);
    $('#prediction-count').textContent = String(seen);
    $('#prediction-rate').textContent = (last.length / WINDOW_SECONDS).toFixed(2);
    const latencies = last.map((p) => p.latencyMs).sort((a, b) => a - b);
    const quantile = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    $('#latency-p50').textContent = latencies.length ? quantile(0.5).toFixed(1) : '–';
    $('#latency-p95').textContent = latencies.length ? quantile(0.95).toFixed(1) : '–';
    $('#cached-share').textContent = last.length
      ? `${Math.round((100 * last.filter((p) => p.cached).length) / last.length)}%`
      : '–';
    // One point a second: how many arrived in it, and their mean latency (a gap when none did).
    const first = Math.floor(now / 1000) - CHART_SECONDS + 1;
    const xs = Array.from({ length: CHART_SECONDS }, (_, i) => first + i);
    const counts = new Array(CHART_SECONDS).fill(0);
    const sums = new Array(CHART_SECONDS).fill(0);
    for (const p of recent) {
      const i = Math.floor(p.at / 1000) - first;
      if (i < 0) continue;
      counts[i]++;
      sums[i] += p.latencyMs;
    }
    rates.setData([xs, counts, sums.map((sum, i) => (counts[i] ? sum / counts[i] : null))]);
  }

  function add(prediction) {
    seen++;
    recent.push({ at: Date.now(), latencyMs: prediction.latencyMs, cached: prediction.cached });
    const rows = $('#predictions tbody');
    rows.prepend(
      el(
        'tr',
        { 'data-id': prediction.id },
        el('td', {}, new Date().toLocaleTimeString()),
        el('td', {}, prediction.model.name),
        el('td', {}, `v${prediction.version.version}`),
        el('td', {}, prediction.latencyMs.toFixed(1)),
        el('td', {}, prediction.cached ? 'yes' : 'no'),
      ),
    );
    while (rows.children.length > RECENT_ROWS) rows.lastElementChild.remove();
    // A burst of predictions redraws once.
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      refresh();
    }, 250);
  }

  setInterval(refresh, 1000);
  refresh();
  return { add };
}

// ---- training jobs --------------------------------------------------------------------------------

const JOB_FIELDS = 'id status progress metrics algorithm error createdAt model { name }';
const JOBS = `{ trainingJobsConnection(first: ${JOBS_SHOWN}) { edges { node { ${JOB_FIELDS} } } } }`;
const JOB_UPDATES = `subscription { trainingJobUpdated { ${JOB_FIELDS} } }`;

const figure = (value, digits = 3) => (typeof value === 'number' ? value.toFixed(digits) : '–');

function trainingPanel() {
  /** Shown jobs by id: the element, the curve's points by epoch, and its chart once it has one. */
  const jobs = new Map();

  function card(job) {
    const element = el(
      'div',
      { class: 'job', 'data-id': job.id },
      el(
        'header',
        {},
        el('strong', {}, job.model.name),
        el('span', {}, job.algorithm.toLowerCase().replaceAll('_', ' ')),
        el('span', { class: 'status' }),
      ),
      el('progress', { max: 1 }),
      el('div', { class: 'figures' }),
      el('div', { class: 'chart' }),
    );
    const entry = { element, points: [], chart: null, quality: null };
    jobs.set(job.id, entry);
    $('#jobs').prepend(element);
    // The newest JOBS_SHOWN stay.
    for (const [id, old] of [...jobs].slice(0, -JOBS_SHOWN)) {
      old.chart?.destroy();
      old.element.remove();
      jobs.delete(id);
    }
    return entry;
  }

  function update(job) {
    const entry = jobs.get(job.id) ?? card(job);
    const { element } = entry;
    element.dataset.status = job.status;
    element.querySelector('.status').dataset.status = job.status;
    element.querySelector('.status').textContent = job.status.toLowerCase();
    element.querySelector('progress').value = job.progress;
    const metrics = job.metrics ?? {};
    // Classifiers report accuracy, regressions r²: one of them is the curve on the right axis.
    entry.quality ??= 'accuracy' in metrics ? 'accuracy' : 'r2' in metrics ? 'r2' : null;
    element.querySelector('.figures').textContent = job.error
      ? job.error
      : `epoch ${metrics.epoch ?? '–'} · loss ${figure(metrics.loss)} · validation loss ${figure(metrics.validationLoss)}` +
        (entry.quality ? ` · ${entry.quality} ${figure(metrics[entry.quality])}` : '');
    const last = entry.points.at(-1);
    if (typeof metrics.epoch === 'number' && (!last || metrics.epoch > last.epoch)) {
      entry.points.push({
        epoch: metrics.epoch,
        loss: metrics.loss ?? null,
        validationLoss: metrics.validationLoss ?? null,
        quality: entry.quality ? (metrics[entry.quality] ?? null) : null,
      });
      element.dataset.epochs = String(entry.points.length);
      draw(entry);
    }
    $('#jobs-empty').hidden = jobs.size > 0;
  }

  function draw(entry) {
    const data = [
      entry.points.map((p) => p.epoch),
      entry.points.map((p) => p.loss),
      entry.points.map((p) => p.validationLoss),
      entry.points.map((p) => p.quality),
    ];
    if (entry.chart) return entry.chart.setData(data);
    entry.chart = chart(
      entry.element.querySelector('.chart'),
      {
        scales: { x: { time: false }, loss: { range: fromZero }, quality: { range: [0, 1] } },
        series: [
          { label: 'epoch' },
          { label: 'loss', scale: 'loss', stroke: css('--accent'), width: 2 },
          { label: 'validation loss', scale: 'loss', stroke: '#e07b39', width: 1.5, dash: [6, 4] },
          { label: entry.quality ?? 'accuracy', scale: 'quality', stroke: '#1a8f4c', width: 2 },
        ],
        axes: [axis({}), axis({ scale: 'loss' }), axis({ scale: 'quality', side: 1, grid: { show: false } })],
      },
      data,
    );
  }

  return { update };
}

// ---- models ---------------------------------------------------------------------------------------

const MODELS = `{ modelsConnection(first: 20) { edges { node {
  id name activeVersion { version }
  versionsConnection(last: 5) { edges { node { version status sizeBytes } } }
} } } }`;

const size = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

function renderModels(models) {
  const list = $('#models');
  list.replaceChildren(
    ...models.map((model) =>
      el(
        'li',
        { 'data-id': model.id },
        el('strong', {}, model.name),
        ` · ${model.activeVersion ? `active v${model.activeVersion.version}` : 'no active version'}`,
        el(
          'div',
          { class: 'versions' },
          model.versionsConnection.edges
            .map(({ node }) => `v${node.version} ${node.status.toLowerCase()} ${size(node.sizeBytes)}`)
            .join(' · ') || 'no versions',
        ),
      ),
    ),
  );
  $('#models-empty').hidden = models.length > 0;
}

// ---- the dashboard --------------------------------------------------------------------------------

/** Shows why a panel is not up to date (GraphQL errors, an error, a socket's close), or clears it (null). */
function panelError(panel, error) {
  const message =
    error === null
      ? ''
      : error instanceof Error
        ? error.message
        : Array.isArray(error)
          ? error[0]?.message
          : `Live updates paused${error?.reason ? `: ${error.reason}` : ''}.`;
  $(`[data-panel="${panel}"]`).textContent = message;
}

function startDashboard(credential, me) {
  $('#dashboard').hidden = false;
  $('#viewer').textContent = `${me.email} · ${me.tier.toLowerCase()}`;
  const signOut = $('#sign-out');
  signOut.hidden = false;
  signOut.addEventListener('click', async () => {
    // A session the dashboard opened is ended on the server too; a pasted credential is only forgotten.
    if (credential.ownSession) await request('mutation { logout }', {}, credential).catch(() => null);
    endSession(null);
  });

  const predictions = predictionsPanel();
  const training = trainingPanel();

  const fetchPanel = (panel, query, show) =>
    request(query, {}, credential).then(show, (error) => {
      if (error.code === 'UNAUTHENTICATED') endSession('Your session ended: sign in again.');
      else panelError(panel, error);
    });
  let modelsPending = null;
  const reloadModels = () => {
    // Several changes at once (a training job publishing a version) reload the list once.
    clearTimeout(modelsPending);
    modelsPending = setTimeout(
      () =>
        fetchPanel('models', MODELS, (data) => renderModels(data.modelsConnection.edges.map((e) => e.node))),
      200,
    );
  };
  const reloadJobs = () =>
    fetchPanel('training', JOBS, (data) => {
      for (const { node } of [...data.trainingJobsConnection.edges].reverse()) training.update(node);
    });

  // The lists come over HTTP first, so they show even while the socket cannot connect.
  reloadModels();
  reloadJobs();

  const connection = $('#connection');
  let connectedBefore = false;
  const client = createClient({
    url: SOCKET_URL.href,
    connectionParams: headersOf(credential),
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: backoff,
    shouldRetry: (event) => !REFUSED.has(event?.code),
    on: {
      connected: () => {
        connection.dataset.state = 'live';
        connection.textContent = 'live';
        connection.title = '';
        // Whatever changed while the socket was down.
        if (connectedBefore) {
          reloadModels();
          reloadJobs();
        }
        connectedBefore = true;
      },
      closed: (event) => {
        connection.dataset.state = 'offline';
        connection.textContent = 'offline';
        connection.title = event?.reason ?? '';
        if (REFUSED.has(event?.code))
          endSession(`Signed out: ${event.reason || 'the server ended the session'}.`);
      },
    },
  });
  /**
   * A subscription that comes back when the socket gave up on it (graphql-ws does not retry a server's
   * 4500 close, say); GraphQL errors (a key without the scope) would only come again.
   */
  const subscribe = (panel, query, next, attempt = 0) =>
    client.subscribe(
      { query },
      {
        next: (result) => {
          attempt = 0;
          if (result.errors) panelError(panel, result.errors);
          else {
            panelError(panel, null);
            next(result.data);
          }
        },
        error: (error) => {
          panelError(panel, error);
          if (Array.isArray(error) || REFUSED.has(error?.code)) return;
          backoff(attempt).then(() => subscribe(panel, query, next, attempt + 1));
        },
        complete: () => {},
      },
    );
  subscribe('predictions', PREDICTIONS, (data) => predictions.add(data.predictionCompleted));
  subscribe('training', JOB_UPDATES, (data) => training.update(data.trainingJobUpdated));
  subscribe('models', 'subscription { modelUpdated { id } }', reloadModels);
}

// ---- start ----------------------------------------------------------------------------------------

const stored = sessionStorage.getItem(CREDENTIAL_KEY);
const credential = stored ? JSON.parse(stored) : null;
if (!credential) showSignIn();
else
  signIn(credential).then(
    (me) => startDashboard(credential, me),
    (error) => {
      // Only a refused credential is forgotten: after a network or server error, a reload tries it again.
      if (error.code === 'UNAUTHENTICATED') sessionStorage.removeItem(CREDENTIAL_KEY);
      sessionStorage.setItem(NOTICE_KEY, error.message);
      showSignIn();
    },
  );
