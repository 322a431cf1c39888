// The only module that reads process.env. Everything is parsed and checked once, and every problem is
// reported together, so an operator fixes a bad deployment in one round instead of one variable at a time.

import { availableParallelism } from 'node:os';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseConfig =
  | { kind: 'postgres'; url: string }
  /** Embedded PostgreSQL (PGlite) in this process; `dataDir` null keeps it in memory. */
  | { kind: 'embedded'; dataDir: string | null };

export type JwtConfig = {
  /** Null when JWT_SECRET is unset: a random secret is generated per process (development only). */
  secret: Uint8Array | null;
  issuer: string;
  audience: string;
  ttlSeconds: number;
};

/** The tiers, cheapest first: the one list that the schema, the database and every limit use. */
export const TIERS = ['FREE', 'PRO', 'ENTERPRISE'] as const;
export type Tier = (typeof TIERS)[number];
export type TierLimit = { perMinute: number; perDay: number };

/** A user's separate allowances: `predict` calls, and writes that store or start work (uploads, new
 * models, training). */
export type RateLimitBudget = 'predict' | 'writes';

export type RateLimitConfig = {
  /** False switches every @rateLimit off (for a trusted internal deployment, or to measure its cost). */
  enabled: boolean;
  budgets: Record<RateLimitBudget, Record<Tier, TierLimit>>;
  /** Points per minute of the cost budget that every operation is charged from (see operation-cost.ts). */
  points: Record<Tier, number>;
  /** Calls per minute from one IP address to the fields that guess passwords (login, register). */
  authPerMinute: number;
  /** Failed authentications (invalid tokens or keys) per minute from one IP address, then a pause. */
  authFailuresPerMinute: number;
  /** The lengths of the "minute" and "day" windows; shortened only by tests. */
  minuteMs: number;
  dayMs: number;
};

/** How many sign-in attempts an account gets at once, and how long the wait after them grows to. */
export type SignInPolicy = { freeAttempts: number; maxBackoffMs: number };

/**
 * Sign-in attempts are counted per account from each client network, and per account from everywhere
 * with more room: a guesser's network waits without locking the owner out from theirs, and a guesser
 * with a thousand networks still waits.
 */
export type SignInLimits = { perNetwork: SignInPolicy; perAccount: SignInPolicy };

/** Where Prometheus scrapes each process's metrics, and the bearer token it must send (null: none). */
export type MetricsConfig = { path: string; token: string | null };

/** How spans are sampled (OTEL_TRACES_SAMPLER): `parentBased` follows a caller's decision when there is one. */
export type TraceSampler = {
  kind: 'always_on' | 'always_off' | 'traceidratio';
  ratio: number;
  parentBased: boolean;
};

/**
 * OpenTelemetry tracing, read from the standard OTEL_* variables; null (the default) traces nothing.
 * Spans leave by OTLP over HTTP, in batches.
 */
export type TracingConfig = {
  /** The full URL spans are posted to, e.g. http://collector:4318/v1/traces. */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  timeoutMs: number;
  /** Null: the process's own name (mlp-api, mlp-worker). */
  serviceName: string | null;
  resourceAttributes: Record<string, string>;
  sampler: TraceSampler;
  /** How long ended spans wait to be sent with others (OTEL_BSP_SCHEDULE_DELAY). */
  exportDelayMs: number;
};

/** Idempotency keys (`Idempotency-Key` on mutations). */
export type IdempotencyConfig = {
  /** How long a key stands for its first request and replays its response: 24 h. */
  ttlMs: number;
  /** How long a retry waits for the first request to finish before it is told the key is in use. */
  waitMs: number;
};

/** Webhooks: what mlp calls, and how it retries. */
export type WebhooksConfig = {
  /** Private, loopback and link-local URLs too: tests, and deployments whose receivers are private. */
  allowPrivateUrls: boolean;
  /** One delivery's deadline: connecting, sending and the answer. */
  timeoutMs: number;
  /** The waits between a delivery's attempts; after the last, it has FAILED. */
  retrySeconds: number[];
  /** Deliveries one process sends at once. */
  concurrency: number;
};

/** Who may introspect the schema: everyone, signed-in callers only, or nobody. */
export const INTROSPECTION_POLICIES = ['everyone', 'signed-in', 'nobody'] as const;
export type IntrospectionPolicy = (typeof INTROSPECTION_POLICIES)[number];

/**
 * Bounds on one GraphQL document, checked while parsing and validating: before anything runs, so a
 * hostile document costs microseconds. Defaults leave room for GraphiQL's and codegen's introspection
 * query (depth 13, about 300 tokens).
 */
export type OperationLimits = {
  /** Characters of the document (UTF-16 code units, as GraphQL counts them). */
  maxChars: number;
  /** Lexical tokens: names, punctuation, values. */
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  introspection: IntrospectionPolicy;
  /** "Did you mean …?" in errors; off whenever introspection is not open to everyone. */
  suggestions: boolean;
};

/**
 * How concurrent calls of one version are batched (Triton's dynamic batcher): the server's defaults,
 * which a model may override (`updateModel(input: { batching })`).
 */
export type BatchingConfig = {
  /**
   * How long calls may wait for a batch to fill. 0: never wait; calls that queue while the workers are busy
   * still run together, so batches grow with load and a lone call runs at once.
   */
  windowMs: number;
  /** The most rows one batch holds. */
  maxRows: number;
  /** Batch sizes (rows) to run as soon as they can be formed, before the window ends; empty: only maxRows. */
  preferredRows: number[];
};

/** What one model changes of the server's batching (`updateModel(input: { batching })`). */
export type ModelBatching = Partial<BatchingConfig>;

export type InferenceConfig = {
  /**
   * `process`: each worker is a sandboxed OS process with a memory ceiling, killed when a run passes its
   * deadline. `thread`: worker threads, faster to talk to, for models you trust only: a thread stuck in
   * native code cannot be stopped, and native memory has no ceiling.
   */
  isolation: 'process' | 'thread';
  workers: number;
  /** Runs of one user at once; the rest of the pool stays free for everybody else. */
  maxRunsPerUser: number;
  maxRunsPerVersion: number;
  runTimeoutMs: number;
  /** Fetching and loading a session (or checking an upload): large models take longer than a run. */
  loadTimeoutMs: number;
  /** How long a task may wait for a free worker before it fails. */
  queueTimeoutMs: number;
  /** Per worker process: memory it may map beyond its size at start; null sets no ceiling. */
  memoryLimitBytes: number | null;
  /** onnxruntime's intra-op threads per session (see loadSession). */
  intraOpThreads: number;
  /** Sessions (one per model version) each worker keeps loaded. */
  sessionCacheSize: number;
  /** The most elements any tensor a model file declares may have. */
  maxTensorElements: number;
  /** The most output elements one call may get back. */
  maxOutputElements: number;
  /** Null runs every request on its own. */
  batching: BatchingConfig | null;
};

export type PredictionHistoryConfig = {
  /** The least time between two writes, so the most a recorded prediction waits for its batch. */
  flushIntervalMs: number;
  /** Rows per INSERT. */
  maxBatch: number;
  /** Unwritten rows beyond which `record` waits for a write (PostgreSQL slow or away). */
  maxPending: number;
};

/** A model version whose runs keep passing their deadline or killing their worker is set aside a while. */
export type QuarantineConfig = {
  /** Containment failures (deadline, crash) within `windowMs` of each other that quarantine a version. */
  afterFailures: number;
  windowMs: number;
  /** How long a quarantine lasts. */
  durationMs: number;
};

/**
 * What one training job may ask for. `work` bounds rows × epochs × weights (features × hidden units +
 * hidden units × classes, or features × classes without a hidden layer): about the multiply-adds of one
 * forward pass over every epoch, so a rough measure of time.
 */
export type TrainingLimits = {
  rows: number;
  features: number;
  classes: number;
  hiddenUnits: number;
  epochs: number;
  work: number;
};

/** What one user may keep stored, by tier. */
export type Quota = { models: number; versions: number; storedBytes: number };

export type Config = {
  port: number;
  database: DatabaseConfig;
  /** Null: in-process stand-ins for Redis (single instance only). */
  redisUrl: string | null;
  jwt: JwtConfig;
  /**
   * Both set or neither: the admin account to ensure at start. An account that already has the address
   * and is not an admin is promoted only when `promoteExisting` says so (anyone could have registered it).
   */
  admin: { email: string; password: string; promoteExisting: boolean } | null;
  /** scrypt's cost as log₂ N (OWASP: 17). Tests lower it to run fast; raising it upgrades hashes at sign-in. */
  passwordHashCost: number;
  /** Attempts to prove one account's password: a few at once, then a growing wait. */
  signIn: SignInLimits;
  /** Origins allowed to call the API from a browser; empty: no cross-origin access. */
  corsOrigins: string[];
  /** Serve GraphiQL at /graphql to browsers. */
  graphiql: boolean;
  /** Serve the live dashboard at /dashboard/ (a static page that signs in and uses the public API). */
  dashboard: boolean;
  websockets: {
    /** Sockets one user may have open at once, across every instance, by tier. */
    maxSocketsPerUser: Record<Tier, number>;
    /** Subscriptions running at once on one socket. */
    maxSubscriptionsPerSocket: number;
  };
  operations: OperationLimits;
  logLevel: LogLevel;
  metrics: MetricsConfig;
  tracing: TracingConfig | null;
  idempotency: IdempotencyConfig;
  webhooks: WebhooksConfig;
  models: {
    maxUploadBytes: number;
    quarantine: QuarantineConfig;
    quotas: Record<Tier, Quota>;
  };
  inference: InferenceConfig;
  predictions: {
    /** The most numbers one `predict` call may send across all its inputs. */
    maxInputElements: number;
    history: PredictionHistoryConfig;
    /** Predictions that outlive a request (`createPrediction`), run by workers from the queue. */
    async: {
      /** The most numbers one `createPrediction` may send: more than `predict`, the work being queued. */
      maxInputElements: number;
      /** Predictions one worker process runs at once. */
      concurrency: number;
      /** How long a prediction stays open before it is queued again, in case its job was lost; and how often. */
      requeueAfterMs: number;
      /** Queued predictions a user may have open (STARTING or PROCESSING) at once, by tier. */
      maxOpen: Record<Tier, number>;
    };
  };
  /** Namespaces the job queues in Redis, so deployments (or test runs) sharing a Redis stay apart. */
  queuePrefix: string;
  rateLimits: RateLimitConfig;
  predictionCache: {
    ttlMs: number;
    /** Outputs larger than this (the bytes of their elements) are not cached. */
    maxEntryBytes: number;
    /** What each process keeps in its own memory, in front of Redis (the only tier without Redis). */
    memoryBytes: number;
  };
  training: {
    maxDatasetBytes: number;
    /** Training jobs a user may have queued or running at once, by tier. */
    maxConcurrentJobs: Record<Tier, number>;
    /** The size of what a job may train, by tier: checked at startTraining. */
    limits: Record<Tier, TrainingLimits>;
    /** A job running longer is stopped and FAILED. */
    jobTimeoutMs: number;
    /** Memory a training process may map beyond its size at start; null: no ceiling. */
    memoryLimitBytes: number | null;
    /** Attempts a job gets when the worker running it dies; then it is FAILED. */
    maxAttempts: number;
  };
  /** How many proxies in front of mlp append to X-Forwarded-For; 0 trusts none and uses the socket. */
  trustProxyHops: number;
  /** Addresses or CIDR blocks of those proxies; empty: loopback and private networks. */
  trustedProxies: string[];
  /** How long in-flight requests get to finish on shutdown before their connections are cut. */
  shutdownDrainMs: number;
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const integers = (name: string, fallback: number[], min: number, max: number): number[] => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const values = raw.split(',').map((part) => part.trim());
    if (!values.every((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max)) {
      problems.push(`${name} must be whole numbers from ${min} to ${max}, separated by commas, got "${raw}"`);
      return fallback;
    }
    return values.map(Number).sort((a, b) => a - b);
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') {
      problems.push(`${name} must be true or false, got "${raw}"`);
      return fallback;
    }
    return raw === 'true';
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = read(name);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must be a ${protocols.join(' or ')}// URL, got "${parsed.protocol}//…"`);
        return null;
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
      return null;
    }
    return raw;
  };

  // NODE_ENV=production asks for what a public server needs: a JWT secret of its own, introspection for
  // signed-in callers only, no GraphiQL.
  const production = read('NODE_ENV') === 'production';

  const port = integer('PORT', 4000, 0, 65535);

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const dataDir = read('DATA_DIR') ?? './.data';
  const database: DatabaseConfig = databaseUrl
    ? { kind: 'postgres', url: databaseUrl }
    : { kind: 'embedded', dataDir: dataDir === ':memory:' ? null : dataDir };

  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);

  const jwtSecret = read('JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes long (HS256 needs a 256-bit key)');
  }
  if (jwtSecret === undefined && production) {
    problems.push(
      'JWT_SECRET must be set in production (NODE_ENV=production): without it each process signs with a random secret of its own, and tokens die with it',
    );
  }
  const jwt: JwtConfig = {
    secret: jwtSecret ? new TextEncoder().encode(jwtSecret) : null,
    issuer: read('JWT_ISSUER') ?? 'mlp',
    audience: read('JWT_AUDIENCE') ?? 'mlp-api',
    ttlSeconds: integer('JWT_TTL_SECONDS', 3600, 60, 30 * 24 * 3600),
  };

  const adminEmail = read('ADMIN_EMAIL');
  const adminPassword = read('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const admin =
    adminEmail && adminPassword
      ? { email: adminEmail, password: adminPassword, promoteExisting: flag('ADMIN_PROMOTE_EXISTING', false) }
      : null;

  const signInBackoffMs = integer('SIGN_IN_MAX_BACKOFF_SECONDS', 900, 1, 86_400) * 1000;
  const maxInputElements = integer('MAX_INPUT_ELEMENTS', 1_000_000, 1, 100_000_000);
  const metricsPath = read('METRICS_PATH') ?? '/metrics';
  if (!/^\/[\w\-/.]*$/.test(metricsPath) || metricsPath === '/graphql' || metricsPath.startsWith('/v2')) {
    problems.push(`METRICS_PATH must be a path of its own, like /metrics, got "${metricsPath}"`);
  }
  const corsOrigins = (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (origin === '*') continue;
    try {
      if (new URL(origin).origin !== origin) throw new Error();
    } catch {
      problems.push(`CORS_ORIGINS has "${origin}", which is not an origin like https://app.example.com or *`);
    }
  }

  const tierLimit = (name: string, fallback: TierLimit): TierLimit => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*,\s*(\d+)$/.exec(raw);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
      problems.push(`${name} must be "<per minute>,<per day>", e.g. "10,1000", got "${raw}"`);
      return fallback;
    }
    return { perMinute: Number(match[1]), perDay: Number(match[2]) };
  };
  const quota = (name: string, fallback: Quota): Quota => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*,\s*(\d+)\s*,\s*(\d+)$/.exec(raw);
    if (!match || match.slice(1).some((part) => Number(part) < 1)) {
      problems.push(`${name} must be "<models>,<versions>,<stored MiB>", e.g. "10,50,1024", got "${raw}"`);
      return fallback;
    }
    return {
      models: Number(match[1]),
      versions: Number(match[2]),
      storedBytes: Number(match[3]) * 1024 * 1024,
    };
  };

  const trainingLimits = (name: string, fallback: TrainingLimits): TrainingLimits => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const limits = { ...fallback };
    for (const part of raw.split(',')) {
      const [key, value] = part.split('=').map((side) => side.trim());
      const number = Number(value);
      if (!key || !(key in limits) || !Number.isSafeInteger(number) || number < 1) {
        problems.push(
          `${name} must be comma-separated key=value pairs of ${Object.keys(fallback).join(', ')} (whole numbers, e.g. "rows=10000,epochs=500"), got "${part}"`,
        );
        return fallback;
      }
      limits[key as keyof TrainingLimits] = number;
    }
    return limits;
  };

  const rateLimits: RateLimitConfig = {
    enabled: flag('RATE_LIMITS_ENABLED', true),
    budgets: {
      predict: {
        FREE: tierLimit('RATE_LIMIT_FREE', { perMinute: 10, perDay: 1_000 }),
        PRO: tierLimit('RATE_LIMIT_PRO', { perMinute: 100, perDay: 50_000 }),
        ENTERPRISE: tierLimit('RATE_LIMIT_ENTERPRISE', { perMinute: 1_000, perDay: 1_000_000 }),
      },
      writes: {
        FREE: tierLimit('RATE_LIMIT_WRITES_FREE', { perMinute: 5, perDay: 100 }),
        PRO: tierLimit('RATE_LIMIT_WRITES_PRO', { perMinute: 30, perDay: 2_000 }),
        ENTERPRISE: tierLimit('RATE_LIMIT_WRITES_ENTERPRISE', { perMinute: 300, perDay: 50_000 }),
      },
    },
    points: {
      FREE: integer('COST_BUDGET_FREE', 20_000, 1, 1_000_000_000),
      PRO: integer('COST_BUDGET_PRO', 200_000, 1, 1_000_000_000),
      ENTERPRISE: integer('COST_BUDGET_ENTERPRISE', 2_000_000, 1, 1_000_000_000),
    },
    authPerMinute: integer('RATE_LIMIT_AUTH_PER_MINUTE', 10, 1, 1_000_000),
    authFailuresPerMinute: integer('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    minuteMs: integer('RATE_LIMIT_MINUTE_MS', 60_000, 100, 3_600_000),
    dayMs: integer('RATE_LIMIT_DAY_MS', 86_400_000, 100, 7 * 86_400_000),
  };

  const introspectionRaw = read('INTROSPECTION') ?? (production ? 'signed-in' : 'everyone');
  const introspection = INTROSPECTION_POLICIES.find((policy) => policy === introspectionRaw);
  if (!introspection) {
    problems.push(
      `INTROSPECTION must be one of ${INTROSPECTION_POLICIES.join(', ')}, got "${introspectionRaw}"`,
    );
  }
  const operations: OperationLimits = {
    maxChars: integer('MAX_DOCUMENT_CHARS', 100_000, 100, 10_000_000),
    maxTokens: integer('MAX_DOCUMENT_TOKENS', 2_000, 50, 1_000_000),
    maxDepth: integer('MAX_DEPTH', 15, 2, 1000),
    maxAliases: integer('MAX_ALIASES', 30, 0, 100_000),
    maxDirectives: integer('MAX_DIRECTIVES', 20, 0, 100_000),
    introspection: introspection ?? 'nobody',
    suggestions: (introspection ?? 'nobody') === 'everyone',
  };

  const logLevelRaw = read('LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === logLevelRaw);
  if (!logLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelRaw}"`);

  /**
   * Memory a sandboxed process may map beyond its size once started; 0 (no ceiling) is null. The ceiling
   * is set with Linux's prlimit: elsewhere there is none unless asked for.
   */
  const mebibytesOrNone = (name: string, fallback: number): number | null => {
    const mb = integer(name, process.platform === 'linux' ? fallback : 0, 0, 1024 * 1024);
    return mb === 0 ? null : mb * 1024 * 1024;
  };

  const inferenceConfig = (): InferenceConfig => {
    if (read('INFERENCE_THREADS') !== undefined) {
      problems.push(
        'INFERENCE_THREADS was replaced by INFERENCE_WORKERS (models run in sandboxed processes; INFERENCE_ISOLATION=thread for threads)',
      );
    }
    const isolation = read('INFERENCE_ISOLATION') ?? 'process';
    if (isolation !== 'process' && isolation !== 'thread') {
      problems.push(`INFERENCE_ISOLATION must be process or thread, got "${isolation}"`);
    }
    // One core for the event loop (HTTP, GraphQL, Redis), the rest for models; at least two workers, so
    // one user's slow model never leaves everybody else waiting.
    const workers = integer('INFERENCE_WORKERS', Math.max(2, Math.min(8, availableParallelism() - 1)), 1, 64);
    const perUser = integer('INFERENCE_RUNS_PER_USER', Math.max(1, Math.floor(workers / 2)), 1, 64);
    return {
      isolation: isolation === 'thread' ? 'thread' : 'process',
      workers,
      maxRunsPerUser: perUser,
      maxRunsPerVersion: integer('INFERENCE_RUNS_PER_VERSION', perUser, 1, 64),
      runTimeoutMs: integer('INFERENCE_TIMEOUT_MS', 5000, 10, 600_000),
      loadTimeoutMs: integer('MODEL_LOAD_TIMEOUT_MS', 30_000, 10, 600_000),
      queueTimeoutMs: integer('INFERENCE_QUEUE_TIMEOUT_MS', 10_000, 10, 600_000),
      memoryLimitBytes: mebibytesOrNone('INFERENCE_MEMORY_LIMIT_MB', 2048),
      intraOpThreads: integer('INFERENCE_INTRA_OP_THREADS', 1, 1, 64),
      sessionCacheSize: integer('MODEL_SESSION_CACHE_SIZE', 32, 1, 10_000),
      maxTensorElements: integer('MAX_MODEL_TENSOR_ELEMENTS', 100_000_000, 1, 2 ** 40),
      maxOutputElements: integer('MAX_OUTPUT_ELEMENTS', 1_000_000, 1, 100_000_000),
      batching: !flag('INFERENCE_BATCHING', true)
        ? null
        : {
            windowMs: integer('INFERENCE_BATCH_WINDOW_MS', 0, 0, 1000),
            maxRows: integer('INFERENCE_BATCH_MAX_ROWS', 64, 1, 100_000),
            preferredRows: integers('INFERENCE_BATCH_PREFERRED_ROWS', [], 1, 100_000),
          },
    };
  };

  /** `k1=v1,k2=v2` with percent-encoded values, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES are. */
  const keyValues = (name: string): Record<string, string> => {
    const raw = read(name);
    const pairs: Record<string, string> = {};
    for (const part of raw?.split(',') ?? []) {
      const at = part.indexOf('=');
      const key = part.slice(0, at).trim();
      try {
        if (at < 1 || key === '') throw new Error();
        pairs[key] = decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        problems.push(`${name} must be key=value pairs separated by commas, got "${part.trim()}"`);
      }
    }
    return pairs;
  };
  const tracingConfig = (): TracingConfig | null => {
    const exporter = read('OTEL_TRACES_EXPORTER');
    if (exporter !== undefined && exporter !== 'otlp' && exporter !== 'none') {
      problems.push(
        `OTEL_TRACES_EXPORTER must be otlp or none (mlp sends OTLP over HTTP), got "${exporter}"`,
      );
    }
    const tracesEndpoint = url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);
    const baseEndpoint = url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
    // Off unless asked for: by an endpoint, or by OTEL_TRACES_EXPORTER=otlp (to a local collector).
    const wanted =
      exporter === 'otlp' || (exporter === undefined && (tracesEndpoint ?? baseEndpoint) !== null);
    if (!wanted || flag('OTEL_SDK_DISABLED', false)) return null;
    const protocol = read('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? read('OTEL_EXPORTER_OTLP_PROTOCOL');
    if (protocol !== undefined && protocol !== 'http/protobuf' && protocol !== 'http/json') {
      problems.push(
        `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (mlp sends OTLP over HTTP, a collector's port 4318), got "${protocol}"`,
      );
    }
    const samplerName = read('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
    const kind = samplerName.replace(/^parentbased_/, '');
    if (kind !== 'always_on' && kind !== 'always_off' && kind !== 'traceidratio') {
      problems.push(
        `OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio or one of them after parentbased_, got "${samplerName}"`,
      );
    }
    const ratioRaw = read('OTEL_TRACES_SAMPLER_ARG');
    const ratio = ratioRaw === undefined ? 1 : Number(ratioRaw);
    if (!(ratio >= 0 && ratio <= 1)) {
      problems.push(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "${ratioRaw}"`);
    }
    const base = (baseEndpoint ?? 'http://localhost:4318').replace(/\/+$/, '');
    const resourceAttributes = keyValues('OTEL_RESOURCE_ATTRIBUTES');
    return {
      endpoint: tracesEndpoint ?? `${base}/v1/traces`,
      protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf',
      headers: {
        ...keyValues('OTEL_EXPORTER_OTLP_HEADERS'),
        ...keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
      },
      timeoutMs: integer(
        'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
        integer('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1, 600_000),
        1,
        600_000,
      ),
      serviceName: read('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? null,
      resourceAttributes,
      sampler: {
        kind: kind === 'always_off' || kind === 'traceidratio' ? kind : 'always_on',
        ratio: ratio >= 0 && ratio <= 1 ? ratio : 1,
        parentBased: samplerName.startsWith('parentbased_'),
      },
      exportDelayMs: integer('OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 600_000),
    };
  };

  const config: Config = {
    port,
    database,
    redisUrl,
    jwt,
    admin,
    passwordHashCost: integer('PASSWORD_HASH_COST', 17, 10, 20),
    signIn: {
      perNetwork: {
        freeAttempts: integer('SIGN_IN_FREE_ATTEMPTS', 5, 1, 1000),
        maxBackoffMs: signInBackoffMs,
      },
      perAccount: {
        freeAttempts: integer('SIGN_IN_FREE_ATTEMPTS_ACCOUNT', 100, 1, 100_000),
        maxBackoffMs: signInBackoffMs,
      },
    },
    corsOrigins,
    graphiql: flag('GRAPHIQL', !production),
    dashboard: flag('DASHBOARD', true),
    websockets: {
      maxSocketsPerUser: {
        FREE: integer('SOCKETS_FREE', 5, 1, 100_000),
        PRO: integer('SOCKETS_PRO', 25, 1, 100_000),
        ENTERPRISE: integer('SOCKETS_ENTERPRISE', 100, 1, 100_000),
      },
      maxSubscriptionsPerSocket: integer('SUBSCRIPTIONS_PER_SOCKET', 20, 1, 10_000),
    },
    operations,
    logLevel: logLevel ?? 'info',
    metrics: { path: metricsPath, token: read('METRICS_TOKEN') ?? null },
    tracing: tracingConfig(),
    idempotency: {
      ttlMs: integer('IDEMPOTENCY_KEY_HOURS', 24, 1, 24 * 30) * 3_600_000,
      waitMs: integer('IDEMPOTENCY_WAIT_SECONDS', 90, 1, 600) * 1000,
    },
    webhooks: {
      allowPrivateUrls: flag('WEBHOOK_ALLOW_PRIVATE_URLS', false),
      timeoutMs: integer('WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      // Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; about 28 hours in all.
      retrySeconds: integers(
        'WEBHOOK_RETRY_SECONDS',
        [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
        0,
        86_400,
      ),
      concurrency: integer('WEBHOOK_CONCURRENCY', 8, 1, 1000),
    },
    models: {
      maxUploadBytes: integer('MAX_MODEL_BYTES', 100 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024 - 1),
      quotas: {
        FREE: quota('QUOTA_FREE', { models: 10, versions: 50, storedBytes: 1024 * 1024 * 1024 }),
        PRO: quota('QUOTA_PRO', { models: 100, versions: 1_000, storedBytes: 20 * 1024 ** 3 }),
        ENTERPRISE: quota('QUOTA_ENTERPRISE', {
          models: 1_000,
          versions: 10_000,
          storedBytes: 500 * 1024 ** 3,
        }),
      },
      quarantine: {
        afterFailures: integer('QUARANTINE_AFTER_FAILURES', 3, 1, 1000),
        windowMs: integer('QUARANTINE_WINDOW_SECONDS', 600, 1, 30 * 86_400) * 1000,
        durationMs: integer('QUARANTINE_SECONDS', 900, 1, 30 * 86_400) * 1000,
      },
    },
    inference: inferenceConfig(),
    predictions: {
      maxInputElements,
      history: {
        flushIntervalMs: integer('PREDICTION_HISTORY_FLUSH_MS', 50, 1, 60_000),
        maxBatch: 500,
        maxPending: integer('PREDICTION_HISTORY_MAX_PENDING', 10_000, 1, 1_000_000),
      },
      async: {
        maxInputElements: Math.max(
          maxInputElements,
          integer('ASYNC_MAX_INPUT_ELEMENTS', 4_000_000, 1, 100_000_000),
        ),
        concurrency: integer('PREDICTION_WORKER_CONCURRENCY', 4, 1, 256),
        requeueAfterMs: integer('PREDICTION_REQUEUE_SECONDS', 30, 1, 86_400) * 1000,
        maxOpen: {
          FREE: integer('QUEUED_PREDICTIONS_FREE', 10, 1, 1_000_000),
          PRO: integer('QUEUED_PREDICTIONS_PRO', 100, 1, 1_000_000),
          ENTERPRISE: integer('QUEUED_PREDICTIONS_ENTERPRISE', 1000, 1, 1_000_000),
        },
      },
    },
    queuePrefix: read('QUEUE_PREFIX') ?? 'mlp',
    rateLimits,
    predictionCache: {
      ttlMs: integer('PREDICTION_CACHE_TTL_SECONDS', 3600, 1, 30 * 86400) * 1000,
      maxEntryBytes: integer('PREDICTION_CACHE_MAX_ENTRY_BYTES', 64 * 1024, 0, 64 * 1024 * 1024),
      memoryBytes: integer('PREDICTION_CACHE_MEMORY_MB', 64, 0, 1024 * 1024) * 1024 * 1024,
    },
    training: {
      maxDatasetBytes: integer('MAX_DATASET_BYTES', 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024 - 1),
      maxConcurrentJobs: {
        FREE: integer('TRAINING_JOBS_FREE', 1, 1, 1000),
        PRO: integer('TRAINING_JOBS_PRO', 3, 1, 1000),
        ENTERPRISE: integer('TRAINING_JOBS_ENTERPRISE', 10, 1, 1000),
      },
      limits: {
        FREE: trainingLimits('TRAINING_LIMITS_FREE', {
          rows: 20_000,
          features: 100,
          classes: 50,
          hiddenUnits: 128,
          epochs: 1_000,
          work: 2_000_000_000,
        }),
        PRO: trainingLimits('TRAINING_LIMITS_PRO', {
          rows: 500_000,
          features: 1_000,
          classes: 500,
          hiddenUnits: 512,
          epochs: 5_000,
          work: 100_000_000_000,
        }),
        ENTERPRISE: trainingLimits('TRAINING_LIMITS_ENTERPRISE', {
          rows: 5_000_000,
          features: 5_000,
          classes: 5_000,
          hiddenUnits: 1_024,
          epochs: 10_000,
          work: 2_000_000_000_000,
        }),
      },
      jobTimeoutMs: integer('TRAINING_JOB_TIMEOUT_SECONDS', 3600, 1, 7 * 86_400) * 1000,
      memoryLimitBytes: mebibytesOrNone('TRAINING_MEMORY_LIMIT_MB', 2048),
      maxAttempts: integer('TRAINING_MAX_ATTEMPTS', 3, 1, 100),
    },
    trustProxyHops: integer('TRUST_PROXY_HOPS', 0, 0, 10),
    trustedProxies: (read('TRUSTED_PROXIES') ?? '')
      .split(',')
      .map((network) => network.trim())
      .filter((network) => network !== ''),
    shutdownDrainMs: integer('SHUTDOWN_DRAIN_MS', 10_000, 0, 600_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** For entry points: the configuration, or every problem on stderr and exit status 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
