import { badUserInput } from '../../errors.ts';
import { builder } from '../../schema/builder.ts';
import { viewerId } from '../auth/viewer.ts';
import {
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventName,
  type WebhookWithSecret,
} from './webhooks.service.ts';

/** Deliveries a page of the log holds at most. */
const MAX_DELIVERIES = 100;

const WebhookEventEnum = builder.enumType('WebhookEvent', {
  description:
    'What a webhook may be told of. Each delivery is a JSON body `{type, timestamp, data}`, `type` being ' +
    '`prediction.started`, `prediction.completed`, `training_job.updated` or `model_version.created`.',
  values: {
    PREDICTION_STARTED: { description: 'A queued prediction (`createPrediction`) began to run.' },
    PREDICTION_COMPLETED: {
      description:
        'A queued prediction ended: SUCCEEDED (with its outputs, up to 256 KiB), FAILED or CANCELED.',
    },
    TRAINING_JOB_UPDATED: {
      description: 'A training job’s status changed (its progress is live in `trainingJobUpdated`).',
    },
    MODEL_VERSION_CREATED: { description: 'A version was uploaded, or made by training.' },
  } satisfies Record<WebhookEventName, unknown>,
});

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { description: 'Not yet delivered: being sent, or waiting for its next attempt.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Every attempt failed: given up.' },
  },
});

const WebhookRef = builder.objectRef<Webhook>('Webhook').implement({
  description:
    'A URL told of your events as they happen, signed per the Standard Webhooks specification with its own secret.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.expose('events', { type: [WebhookEventEnum] }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const WebhookWithSecretRef = builder.objectRef<WebhookWithSecret>('WebhookWithSecret').implement({
  fields: (t) => ({
    webhook: t.expose('webhook', { type: WebhookRef }),
    secret: t.exposeString('secret', {
      description:
        'The signing secret (`whsec_…`), to verify deliveries with a Standard Webhooks library. Shown once.',
    }),
  }),
});

const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery').implement({
  description:
    'One event sent (or to be sent) to one URL: its `id` is the `webhook-id` header of every attempt.',
  fields: (t) => ({
    id: t.exposeID('id'),
    webhookId: t.exposeID('webhookId', {
      nullable: true,
      description: 'Null for a prediction’s own webhook.',
    }),
    predictionId: t.exposeID('predictionId', {
      nullable: true,
      description: 'The prediction whose own webhook this went to.',
    }),
    url: t.exposeString('url'),
    event: t.exposeString('event', { description: 'Its `type`: `prediction.completed`, …' }),
    objectId: t.exposeID('objectId', { description: 'What it is about: a prediction, job or version.' }),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attempts: t.exposeInt('attempts'),
    lastStatusCode: t.exposeInt('lastStatusCode', {
      nullable: true,
      description: 'The HTTP status of the last answer; null when there was none (refused, timed out).',
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last attempt failed: the network’s reason, or the start of the answer.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description:
        'http or https; private, loopback and link-local addresses are refused (unless the server allows them).',
    }),
    events: t.field({ type: [WebhookEventEnum], required: true }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({
    type: [WebhookRef],
    description: 'Your webhooks.',
    authScopes: { session: true },
    resolve: (_root, _args, ctx) => ctx.services.webhooks.list(ctx.em, viewerId(ctx)),
  }),
  webhookDeliveries: t.field({
    type: [WebhookDeliveryRef],
    description: `Your webhook deliveries, newest first: of one webhook, of one prediction's own, or all; at most ${MAX_DELIVERIES}.`,
    authScopes: { session: true },
    complexity: (args) => ({
      field: 1,
      // Never below 0: the price is computed before `first` is refused.
      multiplier: Math.max(0, Math.min(args.first ?? 20, MAX_DELIVERIES)),
    }),
    args: {
      webhookId: t.arg.id(),
      predictionId: t.arg.id(),
      first: t.arg.int({ description: `Default 20, at most ${MAX_DELIVERIES}.` }),
    },
    resolve: (_root, args, ctx) => {
      // Refused, not silently shortened, as the connections do.
      if (args.first != null && (args.first < 1 || args.first > MAX_DELIVERIES)) {
        throw badUserInput(`first must be from 1 to ${MAX_DELIVERIES}`, 'first');
      }
      return ctx.services.webhooks.deliveries(ctx.em, viewerId(ctx), {
        webhookId: args.webhookId == null ? null : String(args.webhookId),
        predictionId: args.predictionId == null ? null : String(args.predictionId),
        first: args.first ?? 20,
      });
    },
  }),
  predictionWebhookSecret: t.string({
    description:
      'The secret that signs deliveries to the webhooks given to `createPrediction` (made on first read).',
    authScopes: { session: true },
    resolve: (_root, _args, ctx) => ctx.services.webhooks.predictionSecret(ctx.em, viewerId(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookWithSecretRef,
    description: `Tells \`url\` of \`events\` as they happen (${Object.values(WEBHOOK_EVENTS).join(', ')}).`,
    authScopes: { session: true },
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.webhooks.create(ctx.em, viewerId(ctx), input.url, input.events),
  }),
  deleteWebhook: t.boolean({
    description:
      'Deletes one of your webhooks, with its deliveries; false when there is none of yours with that id.',
    authScopes: { session: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.delete(ctx.em, viewerId(ctx), String(id)),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookWithSecretRef,
    description:
      'A new signing secret for the webhook, used from its next delivery on; the old one stops at once.',
    authScopes: { session: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.rotateSecret(ctx.em, viewerId(ctx), String(id)),
  }),
  rotatePredictionWebhookSecret: t.string({
    description: 'A new secret for predictions’ own webhooks, used from their next delivery on.',
    authScopes: { session: true },
    resolve: (_root, _args, ctx) => ctx.services.webhooks.rotatePredictionSecret(ctx.em, viewerId(ctx)),
  }),
}));
