import type { Config, SignInPolicy } from './config.ts';
import { entities } from './entities.ts';
import { modelQuarantined } from './errors.ts';
import { createKeyvStore } from './infra/cache/keyv-store.ts';
import { migrate, type Orm, openDatabase } from './infra/database/orm.ts';
import { Inference } from './infra/inference/inference.ts';
import { Metrics } from './infra/metrics/metrics.ts';
import { ClientAddresses } from './infra/net/client-address.ts';
import { DecodedChannels } from './infra/pubsub/decoded-channels.ts';
import type { EventBus } from './infra/pubsub/event-bus.ts';
import { LocalEventBus } from './infra/pubsub/local-event-bus.ts';
import { RedisEventBus } from './infra/pubsub/redis-event-bus.ts';
import {
  BeeJobQueue,
  type JobPayload,
  type JobQueue,
  LocalJobQueue,
  PREDICTION_QUEUE,
  type QueueKind,
  TRAINING_QUEUE,
} from './infra/queue/job-queue.ts';
import { connectRedis, type RedisClientType } from './infra/redis.ts';
import { Sealer } from './infra/secrets/sealer.ts';
import { MemorySocketLeases, RedisSocketLeases, type SocketLeases } from './infra/sockets/socket-leases.ts';
import type { Tracing } from './infra/telemetry/tracing.ts';
import type { Logger } from './logger.ts';
import { ApiKeys } from './modules/api-keys/api-key.service.ts';
import { ApiKeyVerifier } from './modules/api-keys/api-key-verifier.ts';
import { FailedAuthentications } from './modules/auth/failed-authentications.ts';
import { JwtTokens, serverSecret } from './modules/auth/jwt.ts';
import { Sessions } from './modules/auth/sessions.ts';
import {
  FailoverSignInAttempts,
  MemorySignInAttempts,
  RedisSignInAttempts,
  type SignInAttempts,
} from './modules/auth/sign-in-attempts.ts';
import { IdempotencyKeys } from './modules/idempotency/idempotency-keys.ts';
import { Models } from './modules/models/model.service.ts';
import {
  MemoryModelMetadataCache,
  type ModelMetadataCache,
  RedisModelMetadataCache,
} from './modules/models/model-metadata-cache.ts';
import { ModelQuarantine } from './modules/models/model-quarantine.ts';
import { ModelQuotas } from './modules/models/model-quotas.ts';
import { AsyncPredictions } from './modules/predictions/async-predictions.ts';
import { announcePredictions } from './modules/predictions/prediction.events.ts';
import { Predictions } from './modules/predictions/prediction.service.ts';
import { PredictionCache } from './modules/predictions/prediction-cache.ts';
import { PredictionHistory } from './modules/predictions/prediction-history.ts';
import { PredictionRuns } from './modules/predictions/prediction-runs.ts';
import { runQueuedPrediction } from './modules/predictions/run-queued-prediction.ts';
import {
  FailoverRateLimitStore,
  MemoryRateLimitStore,
  RedisRateLimitStore,
} from './modules/rate-limits/rate-limit-store.ts';
import { RateLimiter } from './modules/rate-limits/rate-limiter.ts';
import { runQueuedTrainingJob } from './modules/training/run-training-job.ts';
import { trainInProcess } from './modules/training/train-in-process.ts';
import { Training } from './modules/training/training.service.ts';
import { PasswordHasher } from './modules/users/password.ts';
import { ensureAdmin, Users } from './modules/users/user.service.ts';
import { UserTiers } from './modules/users/user-tiers.ts';
import { WebhookDispatcher } from './modules/webhooks/webhook-dispatcher.ts';
import { Webhooks } from './modules/webhooks/webhooks.service.ts';

/**
 * How long cached model metadata lives. Every change bumps the model's generation at once, so this only
 * bounds how long an entry could lag if Redis refused that bump.
 */
const MODEL_METADATA_TTL_MS = 60_000;

/** Everything a request may use, built once per process. No module-level singletons. */
export type Services = ModelServices & {
  sessions: Sessions;
  keyVerifier: ApiKeyVerifier;
  apiKeys: ApiKeys;
  rateLimiter: RateLimiter;
  failedAuthentications: FailedAuthentications;
  /** Who a request comes from, through the trusted proxies only. */
  clientAddresses: ClientAddresses;
  tiers: UserTiers;
  /** This process's live subscriptions' view of the event bus: each event decoded once per channel. */
  liveEvents: DecodedChannels;
  socketLeases: SocketLeases;
  predictionHistory: PredictionHistory;
  users: Users;
  predictions: Predictions;
  asyncPredictions: AsyncPredictions;
  idempotencyKeys: IdempotencyKeys;
  training: Training;
  close(): Promise<void>;
};

/** Redis when configured: one connection for commands, one for subscriptions. */
async function connectShared(config: Config, logger: Logger) {
  if (!config.redisUrl) {
    return { redis: null, events: new LocalEventBus(), rateLimitStore: new MemoryRateLimitStore() };
  }
  const settled = await Promise.allSettled([
    connectRedis(config.redisUrl, logger, { name: 'commands', offline: 'fail' }),
    // Subscriptions made while Redis is away wait for it, and are renewed on every reconnect.
    connectRedis(config.redisUrl, logger, { name: 'subscriber', offline: 'queue' }),
  ]);
  const clients = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const refusal = settled.find((result) => result.status === 'rejected');
  if (refusal) {
    // Neither connection outlives a start that failed.
    for (const client of clients) client.destroy();
    throw refusal.reason;
  }
  const [commands, subscriber] = clients as [RedisClientType, RedisClientType];
  return {
    redis: { commands, subscriber },
    events: new RedisEventBus(commands, subscriber),
    rateLimitStore: new FailoverRateLimitStore(new RedisRateLimitStore(commands), logger),
  };
}

/** What the API and the training worker alike need: the database, events, and models with inference. */
export type ModelServices = {
  config: Config;
  logger: Logger;
  orm: Orm;
  events: EventBus;
  modelMetadata: ModelMetadataCache;
  modelQuotas: ModelQuotas;
  models: Models;
  inference: Inference;
  /** Running model versions on checked inputs, through the prediction cache. */
  predictionRuns: PredictionRuns;
  metrics: Metrics;
  tracing: Tracing;
  /** Users' webhooks, and the record of what to deliver to them. */
  webhooks: Webhooks;
  close(): Promise<void>;
};

/**
 * The part both processes share. Inference workers start on first use, so a training worker, which only
 * checks the models it trains, starts one only then.
 */
async function createModelServices(config: Config, logger: Logger, tracing: Tracing) {
  const metrics = new Metrics();
  const orm = await openDatabase(config.database, entities);
  try {
    const applied = await migrate(orm, config.database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await orm.close();
    throw error;
  }
  const { redis, events, rateLimitStore } = await connectShared(config, logger).catch(async (error) => {
    await orm.close();
    throw error;
  });
  if (redis) {
    metrics.gaugeBy(
      'mlp_redis_connected',
      'Whether each Redis connection is up (1) or reconnecting (0): an outage, during which caches and limits fall back to memory',
      'connection',
      async () => ({
        commands: Number(redis.commands.isReady),
        subscriber: Number(redis.subscriber.isReady),
      }),
    );
  }
  const tiers = new UserTiers({ orm, events, logger });
  await tiers.listen();
  const modelMetadata = redis
    ? new RedisModelMetadataCache(redis.commands, redis.subscriber, events, MODEL_METADATA_TTL_MS, logger)
    : new MemoryModelMetadataCache();
  const quarantine = new ModelQuarantine({
    orm,
    config: config.models.quarantine,
    logger,
    onQuarantined: async ({ modelId, versionId, version, until, lastError }) => {
      await modelMetadata.invalidate(modelId);
      inference.dropWaiting(versionId, modelQuarantined(version, until, lastError));
    },
  });
  const inference = new Inference(
    config.inference,
    logger,
    (failure) => void quarantine.record(failure),
    metrics,
    tracing,
  );
  await modelMetadata.listen();
  const modelQuotas = new ModelQuotas({ quotas: config.models.quotas, tiers });
  const secret = serverSecret(config.jwt, logger);
  const webhooks = new Webhooks({
    orm,
    sealer: new Sealer(secret, 'webhook secrets'),
    events,
    logger,
    config: config.webhooks,
  });
  const models = new Models({
    inference,
    metadata: modelMetadata,
    quotas: modelQuotas,
    events,
    logger,
    maxUploadBytes: config.models.maxUploadBytes,
    batching: config.inference.batching,
    metrics,
    webhooks,
  });
  const predictionCache = new PredictionCache(
    // v2: outputs as binary tensors (an older release's entries are not read).
    redis ? createKeyvStore(redis.commands, 'mlp:predictions:v2') : null,
    config.predictionCache,
    { logger, metrics, tracing },
  );
  const shared: ModelServices = {
    config,
    logger,
    orm,
    events,
    modelMetadata,
    modelQuotas,
    models,
    inference,
    predictionRuns: new PredictionRuns({ models, inference, cache: predictionCache, metrics }),
    metrics,
    tracing,
    webhooks,
    async close() {
      await tiers.close();
      await modelMetadata.close();
      await events.close();
      await inference.close();
      await orm.close();
      // Last: the spans of everything above are sent.
      await tracing.shutdown();
    },
  };
  return { shared, redis, rateLimitStore, tiers, secret };
}

/** Sends webhook deliveries: on workers, or in the API process itself when there is no Redis (and no workers). */
export function webhookDispatcher(services: ModelServices): WebhookDispatcher {
  return new WebhookDispatcher({ ...services, config: services.config.webhooks });
}

/** The training worker's services: only what running a training job takes. */
export async function createWorkerServices(
  config: Config,
  logger: Logger,
  tracing: Tracing,
): Promise<ModelServices> {
  return (await createModelServices(config, logger, tracing)).shared;
}

export async function createServices(config: Config, logger: Logger, tracing: Tracing): Promise<Services> {
  const { shared, redis, rateLimitStore, tiers, secret } = await createModelServices(config, logger, tracing);
  const { orm, events, models, modelQuotas, webhooks } = shared;
  const sessions = new Sessions({ tokens: new JwtTokens(config.jwt, secret), orm, events, logger });
  const passwords = new PasswordHasher({ cost: config.passwordHashCost });
  try {
    await sessions.listen();
    if (config.admin) await ensureAdmin(orm.em.fork(), config.admin, { passwords, sessions, logger });
  } catch (error) {
    await sessions.close();
    await shared.close();
    throw error;
  }
  const keyVerifier = new ApiKeyVerifier({ orm, events, logger });
  await keyVerifier.listen();
  const predictionHistory = new PredictionHistory({
    orm,
    config: config.predictions.history,
    logger,
    metrics: shared.metrics,
    tracing,
    onWritten: (records) => announcePredictions(events, logger, records),
  });
  shared.metrics.gauge(
    'mlp_prediction_history_queue_rows',
    'Predictions waiting to be written to history',
    () => predictionHistory.pendingRows,
  );
  // With Redis, worker processes train and run queued predictions; without it, this process does.
  const queue = (kind: QueueKind, run: (payload: JobPayload) => Promise<void>, concurrency: number) =>
    config.redisUrl
      ? new BeeJobQueue(kind, config.redisUrl, config.queuePrefix, { logger, tracing })
      : new LocalJobQueue(kind, run, { logger, tracing, concurrency });
  const trainer = trainInProcess(config.training);
  // Without workers, this process sends the webhooks too.
  const dispatcher = config.redisUrl ? null : webhookDispatcher(shared);
  await dispatcher?.start();
  const trainingQueue: JobQueue = queue(
    TRAINING_QUEUE,
    (payload) => runQueuedTrainingJob(shared, payload, trainer),
    1,
  );
  const predictionQueue: JobQueue = queue(
    PREDICTION_QUEUE,
    (payload) => runQueuedPrediction({ ...shared, runs: shared.predictionRuns }, payload),
    config.predictions.async.concurrency,
  );
  const liveEvents = new DecodedChannels(events);
  const asyncPredictions = new AsyncPredictions({
    orm,
    runs: shared.predictionRuns,
    queue: predictionQueue,
    channels: liveEvents,
    events,
    logger,
    webhooks,
    maxInputElements: config.predictions.async.maxInputElements,
    requeueAfterMs: config.predictions.async.requeueAfterMs,
    maxOpen: config.predictions.async.maxOpen,
  });
  asyncPredictions.startSweeping();
  const idempotencyKeys = new IdempotencyKeys({
    orm,
    seal: new Sealer(secret, 'idempotent responses'),
    logger,
    config: config.idempotency,
  });
  idempotencyKeys.start();
  const rateLimiter = new RateLimiter(rateLimitStore, tiers, config.rateLimits, {
    metrics: shared.metrics,
    tracing,
  });
  const clientAddresses = new ClientAddresses({
    hops: config.trustProxyHops,
    trustedProxies: config.trustedProxies,
  });
  const socketLeases = redis ? new RedisSocketLeases(redis.commands, logger) : new MemorySocketLeases();
  const signInAttempts = (policy: SignInPolicy, prefix: string): SignInAttempts =>
    redis
      ? new FailoverSignInAttempts(new RedisSignInAttempts(redis.commands, policy, prefix), policy, logger)
      : new MemorySignInAttempts(policy);
  const attempts = {
    perNetwork: signInAttempts(config.signIn.perNetwork, 'mlp:sign-in:network'),
    perAccount: signInAttempts(config.signIn.perAccount, 'mlp:sign-in:account'),
  };
  const services: Services = {
    ...shared,
    sessions,
    keyVerifier,
    apiKeys: new ApiKeys({ keys: keyVerifier }),
    rateLimiter,
    failedAuthentications: new FailedAuthentications(rateLimiter, logger),
    clientAddresses,
    tiers,
    liveEvents,
    socketLeases,
    predictionHistory,
    users: new Users({ sessions, passwords, attempts, tiers }),
    predictions: new Predictions({
      models,
      runs: shared.predictionRuns,
      history: predictionHistory,
      maxInputElements: config.predictions.maxInputElements,
      tracing,
    }),
    asyncPredictions,
    idempotencyKeys,
    training: new Training({
      models,
      quotas: modelQuotas,
      queue: trainingQueue,
      events,
      logger,
      webhooks,
      config: config.training,
    }),
    async close() {
      // First: the last predictions' history needs PostgreSQL and their events need Redis.
      await predictionHistory.close();
      await asyncPredictions.close();
      idempotencyKeys.close();
      await trainingQueue.close();
      await predictionQueue.close();
      await dispatcher?.close();
      await keyVerifier.close();
      await sessions.close();
      await socketLeases.close();
      await shared.close();
    },
  };
  return services;
}
