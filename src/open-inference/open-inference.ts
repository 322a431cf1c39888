import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { MAX_REQUEST_BYTES } from '../body-limits.ts';
import { authenticateFrom } from '../context.ts';
import type { ApiKeyScope } from '../modules/api-keys/api-key.entity.ts';
import { type AuthenticatedViewer, authenticationError } from '../modules/auth/viewer.ts';
import { predictCost } from '../modules/predictions/prediction.service.ts';
import { Admission } from '../modules/rate-limits/admission.ts';
import { rateLimitHeaders } from '../modules/rate-limits/rate-limit.directive.ts';
import type { FieldLimit } from '../modules/rate-limits/rate-limiter.ts';
import { holdsKeyScope } from '../schema/key-scopes.ts';
import type { Services } from '../services.ts';
import { encodeInferResponse, OipInputError, oipTensorMetadata, parseInferRequest } from './oip-tensors.ts';

/** Inference is limited as GraphQL's `predict` is: the tier's predict calls, and its cost in points. */
const PREDICT_LIMIT: FieldLimit = { by: 'tier', budget: 'predict' };

/** A refusal, answered as the protocol asks: an HTTP status and `{"error": "…"}`. */
class OipError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly code: string;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** The HTTP status of each error code mlp's services give. */
const STATUS: Record<string, number> = {
  BAD_USER_INPUT: 400,
  MAX_COST_EXCEEDED: 400,
  INFERENCE_FAILED: 400,
  OUTPUT_TOO_LARGE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 403,
  NOT_FOUND: 404,
  REQUEST_ENTITY_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  MODEL_QUARANTINED: 503,
  INFERENCE_TIMEOUT: 504,
};

function fromGraphQLError(error: GraphQLError): OipError {
  const code = String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR');
  const http = error.extensions.http as { headers?: Record<string, string> } | undefined;
  const headers = {
    ...http?.headers,
    ...(code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {}),
  };
  return new OipError(STATUS[code] ?? 500, code, error.message, headers);
}

type Route =
  | { kind: 'server-metadata' | 'live' | 'ready' }
  | { kind: 'model-metadata' | 'model-ready' | 'infer'; model: string; version: number | null };

/** The route of a path under /v2, or null when there is none. */
function route(path: string): Route | null {
  let segments: string[];
  try {
    segments = path.split('/').slice(2).map(decodeURIComponent);
  } catch {
    throw new OipError(400, 'BAD_USER_INPUT', 'the path is not valid percent-encoding');
  }
  // No model name holds one (PostgreSQL text cannot), and looking one up would fail as the server's error.
  if (segments.some((segment) => segment.includes('\u0000'))) {
    throw new OipError(400, 'BAD_USER_INPUT', 'the path may not contain the NUL character (%00)');
  }
  if (segments.length === 0 || (segments.length === 1 && segments[0] === ''))
    return { kind: 'server-metadata' };
  if (segments[0] === 'health' && segments.length === 2) {
    if (segments[1] === 'live') return { kind: 'live' };
    if (segments[1] === 'ready') return { kind: 'ready' };
    return null;
  }
  if (segments[0] !== 'models' || segments.length < 2 || !segments[1]) return null;
  const model = segments[1];
  let rest = segments.slice(2);
  let version: number | null = null;
  if (rest[0] === 'versions') {
    if (!/^[1-9]\d{0,8}$/.test(rest[1] ?? '')) {
      throw new OipError(
        400,
        'BAD_USER_INPUT',
        `model versions are whole numbers from 1, got "${rest[1] ?? ''}"`,
      );
    }
    version = Number(rest[1]);
    rest = rest.slice(2);
  }
  if (rest.length === 0) return { kind: 'model-metadata', model, version };
  if (rest.length === 1 && rest[0] === 'ready') return { kind: 'model-ready', model, version };
  if (rest.length === 1 && rest[0] === 'infer') return { kind: 'infer', model, version };
  return null;
}

const METHODS: Record<Route['kind'], string> = {
  'server-metadata': 'GET',
  live: 'GET',
  ready: 'GET',
  'model-metadata': 'GET',
  'model-ready': 'GET',
  infer: 'POST',
};

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function send(
  response: ServerResponse,
  status: number,
  body: Buffer | object,
  headers: Record<string, string | number> = {},
): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': bytes.length,
    ...headers,
  });
  response.end(bytes);
}

/**
 * The Open Inference Protocol (KServe v2) over HTTP/REST, beside GraphQL on the same port: health,
 * server and model metadata, and inference with JSON tensors or the binary tensor data extension.
 * Inference is GraphQL's `predict` by another road: the same credentials, scopes, limits and cost budget,
 * cache, history and events.
 */
export function createOpenInference(services: Services) {
  const { name, version } = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    name: string;
    version: string;
  };
  const serverMetadata = { name, version, extensions: ['binary_tensor_data'] };
  /** JSON bodies the size of GraphQL's; binary ones as large as the most elements a call may send. */
  const maxBodyBytes = MAX_REQUEST_BYTES + services.predictions.maxInputElements * 8;

  async function authenticate(
    request: IncomingMessage,
    clientIp: string | null,
  ): Promise<AuthenticatedViewer> {
    const credentials = {
      authorization: header(request, 'authorization'),
      apiKey: header(request, 'x-api-key'),
    };
    const viewer = await authenticateFrom(clientIp, credentials, services);
    if (viewer.kind === 'user') return viewer;
    throw fromGraphQLError(authenticationError(viewer)!);
  }

  function requireScope(viewer: AuthenticatedViewer, scopes: ApiKeyScope[]): void {
    if (scopes.some((scope) => holdsKeyScope(viewer, scope))) return;
    throw new OipError(403, 'FORBIDDEN', `This API key lacks the ${scopes.join(' or ')} scope`);
  }

  /**
   * The body, up to the limit. Past it, what follows is not kept, nor read in a way that would cut the
   * connection before the 413 is sent: the answer closes the connection instead (see handle).
   */
  function readBody(request: IncomingMessage): Promise<Buffer> {
    const tooLarge = () =>
      new OipError(413, 'REQUEST_ENTITY_TOO_LARGE', `the request body is larger than ${maxBodyBytes} bytes`, {
        connection: 'close',
      });
    const declared = header(request, 'content-length');
    if (declared !== null && Number(declared) > maxBodyBytes) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      request.on('data', (chunk: Buffer) => {
        if (over) return;
        size += chunk.length;
        if (size > maxBodyBytes) {
          over = true;
          chunks.length = 0;
          reject(tooLarge());
        } else chunks.push(chunk);
      });
      request.on('end', () => {
        if (!over) resolve(Buffer.concat(chunks, size));
      });
      request.on('error', reject);
    });
  }

  async function answer(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const target = route(path);
    if (!target) throw new OipError(404, 'NOT_FOUND', `no such endpoint: ${request.method} ${path}`);
    const method = METHODS[target.kind];
    if (request.method !== method) {
      throw new OipError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${method}`, { allow: method });
    }
    switch (target.kind) {
      case 'server-metadata':
        return send(response, 200, serverMetadata);
      case 'live':
        return send(response, 200, { live: true });
      case 'ready': {
        const ready = await services.orm.em
          .fork()
          .execute('select 1')
          .then(() => true)
          .catch(() => false);
        return send(response, ready ? 200 : 503, { ready });
      }
    }
    const clientIp = services.clientAddresses.of(
      request.socket.remoteAddress,
      header(request, 'x-forwarded-for'),
    );
    const viewer = await authenticate(request, clientIp);
    const em = services.orm.em.fork();
    if (target.kind !== 'infer') {
      requireScope(viewer, ['PREDICT', 'MODELS_READ']);
      const modelId = await services.models.idOf(em, viewer.userId, target.model);
      if (!modelId) throw new OipError(404, 'NOT_FOUND', `Model "${target.model}" not found`);
      const found = await services.models.version(em, viewer.userId, modelId, target.version);
      if (target.kind === 'model-ready') {
        // The status says it, for probes and clients (Triton's among them) that read only the status.
        const quarantined = (found.version?.quarantinedUntil ?? 0) > Date.now();
        const ready = found.version !== null && !quarantined;
        return send(response, ready ? 200 : 503, { name: found.model.name, ready });
      }
      if (!found.version) {
        throw new OipError(
          404,
          'NOT_FOUND',
          target.version === null
            ? `Model "${target.model}" has no active version`
            : `Version ${target.version} of model "${target.model}" not found`,
        );
      }
      return send(response, 200, {
        name: found.model.name,
        versions: Array.from({ length: found.model.latestVersion }, (_, i) => String(i + 1)),
        platform: 'onnx_onnxv1',
        inputs: found.version.inputs.map(oipTensorMetadata),
        outputs: found.version.outputs.map(oipTensorMetadata),
      });
    }

    requireScope(viewer, ['PREDICT']);
    const run = await services.predictions.target(em, viewer.userId, target.model, target.version);
    const body = await readBody(request);
    const declaredHeader = header(request, 'inference-header-content-length');
    if (declaredHeader !== null && !/^\d+$/.test(declaredHeader)) {
      throw new OipError(400, 'BAD_USER_INPUT', 'Inference-Header-Content-Length must be a whole number');
    }
    const headerLength = declaredHeader === null ? null : Number(declaredHeader);
    const inference = parseInferRequest(
      body,
      headerLength,
      run.version,
      services.predictions.maxInputElements,
    );
    const admission = new Admission(services.rateLimiter, viewer, clientIp);
    admission.price(predictCost(inference.rows));
    const admitted = admission.admit(PREDICT_LIMIT);
    // `run` waits for it; this keeps a refusal that comes after a failure from going unhandled.
    admitted.catch(() => {});
    const { outputs } = await services.predictions.run(em, viewer.userId, run, inference.feeds, {
      cache: inference.cache,
      admitted,
    });
    const encoded = encodeInferResponse({
      modelName: run.model.name,
      modelVersion: String(run.version.version),
      id: inference.id,
      outputs,
      requested: inference.outputs,
    });
    const limits = admission.callsOutcome ? rateLimitHeaders(admission.callsOutcome) : {};
    return send(response, 200, encoded.body, {
      ...limits,
      ...(encoded.headerLength === null
        ? {}
        : {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': encoded.headerLength,
          }),
    });
  }

  /** Answers a request for a path under /v2. Never throws: every failure is the protocol's error. */
  return async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<void> {
    try {
      await answer(request, response, path);
    } catch (caught) {
      let error = caught;
      if (error instanceof OipInputError) error = new OipError(400, 'BAD_USER_INPUT', error.message);
      if (error instanceof GraphQLError) error = fromGraphQLError(error);
      if (!(error instanceof OipError)) {
        services.logger.error({ err: error, path }, 'Open Inference Protocol request failed');
        error = new OipError(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      }
      const { status, code, message, headers } = error as OipError;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // The body may still be arriving: answering is enough, what is left is not read.
      send(response, status, { error: message, code }, headers);
    }
  };
}
