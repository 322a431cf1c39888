import { admitsConcurrently } from '../../schema/admission-plugin.ts';
import { builder } from '../../schema/builder.ts';
import { idConnection, MAX_PAGE } from '../../schema/connections.ts';
import { keyScoped, needsKeyScope } from '../../schema/key-scopes.ts';
import { viewerId } from '../auth/viewer.ts';
import { ModelRef, ModelVersionRef } from '../models/model.graphql.ts';
import { MAX_CANCEL_AFTER_SECONDS, MAX_WAIT_SECONDS } from './async-predictions.ts';
import { PREDICTION_STATUSES, type Prediction, type PredictionWebhookEvent } from './prediction.entity.ts';
import { predictionStream, predictionUpdates } from './prediction.events.ts';
import { type FreshPrediction, predictCost } from './prediction.service.ts';
import { DEADLINE_EXCEEDED } from './prediction-lifecycle.ts';

const PredictionStatusEnum = builder.enumType('PredictionStatus', {
  description:
    'STARTING (queued), PROCESSING (a worker runs it), then SUCCEEDED, FAILED (see `error`; a passed deadline ' +
    `is ${DEADLINE_EXCEEDED}) or CANCELED. \`predict\`'s predictions are born SUCCEEDED.`,
  values: PREDICTION_STATUSES,
});

type PredictionError = { code: string; message: string };

const PredictionErrorRef = builder.objectRef<PredictionError>('PredictionError').implement({
  description: 'Why a prediction FAILED.',
  fields: (t) => ({
    code: t.exposeString('code', {
      description: `What \`predict\` would have answered (INFERENCE_FAILED, INFERENCE_TIMEOUT, MODEL_QUARANTINED…), or ${DEADLINE_EXCEEDED}.`,
    }),
    message: t.exposeString('message'),
  }),
});

/** A queued prediction's own fields; a prediction `predict` just made has none (it ended as it began). */
const lifecycle = (prediction: Prediction | FreshPrediction) => ('made' in prediction ? null : prediction);

/**
 * When a prediction began or ended: `predict`'s, whose rows record neither (they ended as they were made),
 * at their `createdAt`; a queued one's when it did, null until then.
 */
function moment(prediction: Prediction | FreshPrediction, which: 'startedAt' | 'completedAt'): Date | null {
  const queued = lifecycle(prediction);
  if (!queued) return prediction.createdAt;
  return queued[which] ?? (queued.status === 'SUCCEEDED' ? queued.createdAt : null);
}

export const PredictionRef = builder.objectRef<Prediction | FreshPrediction>('Prediction').implement({
  extensions: needsKeyScope('PREDICT'),
  fields: (t) => ({
    id: t.exposeID('id'),
    model: t.field({
      type: ModelRef,
      resolve: (prediction) => ('made' in prediction ? prediction.made.model : prediction.model.loadOrFail()),
    }),
    version: t.field({
      type: ModelVersionRef,
      resolve: (prediction) =>
        'made' in prediction ? prediction.made.version : prediction.version.loadOrFail(),
    }),
    outputs: t.field({
      type: 'JSON',
      description:
        'Map from output name to a nested array of numbers, e.g. {"probabilities": [[0.98, 0.02, 0.0]]}. ' +
        'Empty ({}) until the prediction has SUCCEEDED.',
      resolve: (prediction) => prediction.outputs ?? {},
    }),
    status: t.field({
      type: PredictionStatusEnum,
      resolve: (prediction) => lifecycle(prediction)?.status ?? 'SUCCEEDED',
    }),
    startedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a worker began it; null while STARTING.',
      resolve: (prediction) => moment(prediction, 'startedAt'),
    }),
    completedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it ended; null while it has not.',
      resolve: (prediction) => moment(prediction, 'completedAt'),
    }),
    deadline: t.field({
      type: 'DateTime',
      nullable: true,
      description: `When it fails with ${DEADLINE_EXCEEDED} unless it has ended (\`cancelAfter\`).`,
      resolve: (prediction) => lifecycle(prediction)?.deadline ?? null,
    }),
    error: t.field({
      type: PredictionErrorRef,
      nullable: true,
      resolve: (prediction) => {
        const queued = lifecycle(prediction);
        return queued?.errorCode ? { code: queued.errorCode, message: queued.errorMessage ?? '' } : null;
      },
    }),
    cached: t.exposeBoolean('cached', {
      description: 'True when the outputs came from the prediction cache.',
    }),
    latencyMs: t.exposeFloat('latencyMs'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const PredictInput = builder.inputType('PredictInput', {
  fields: (t) => ({
    modelId: t.id({ required: true }),
    version: t.int({ description: "Defaults to the model's active version." }),
    cache: t.boolean({
      description:
        'Answer from the prediction cache when the same inputs went to the same version before (default true). ' +
        'False always runs the model.',
    }),
    inputs: t.field({
      type: 'JSON',
      required: true,
      description:
        'Map from input name to a nested array of numbers; a model with one input also takes the bare nested array. ' +
        'For many numbers, an input may instead be `{"shape": [64, 64], "base64": "…"}`: its elements as base64 of ' +
        'their little-endian bytes, row-major (float32: 4 bytes each), which skips parsing JSON numbers.',
    }),
  }),
});

builder.queryField('predictions', (t) =>
  t.connection(
    {
      type: PredictionRef,
      description: `Your predictions, newest first, optionally of one model, at most ${MAX_PAGE} a page.`,
      ...keyScoped('PREDICT'),
      args: { modelId: t.arg.id() },
      resolve: (_root, args, ctx) =>
        idConnection(args, (page) =>
          ctx.services.predictions.page(
            ctx.em,
            viewerId(ctx),
            args.modelId == null ? null : String(args.modelId),
            page,
          ),
        ),
    },
    { name: 'PredictionConnection' },
    { name: 'PredictionEdge' },
  ),
);

/**
 * The rows a call sends: the longest first dimension of its inputs (a map of them, or one bare array),
 * nested arrays or `{ shape, base64 }` alike.
 */
function rowsSent(inputs: unknown): number {
  if (Array.isArray(inputs)) return inputs.length;
  if (typeof inputs !== 'object' || inputs === null) return 0;
  let rows = 0;
  for (const input of Object.values(inputs)) {
    const shape = (input as { shape?: unknown } | null)?.shape;
    const first = Array.isArray(input) ? input.length : Array.isArray(shape) ? Number(shape[0]) : 0;
    if (Number.isSafeInteger(first)) rows = Math.max(rows, first);
  }
  return rows;
}

/** What a call that runs a model (`predict`, `createPrediction`) needs and is charged, one way for both. */
const runsAModel = {
  // Scope and ownership first: a call for someone else's model spends nothing.
  authScopes: (_root: unknown, { input }: { input: { modelId: string | number } }) => ({
    modelOwner: String(input.modelId),
  }),
  extensions: { ...needsKeyScope('PREDICT'), ...admitsConcurrently },
  directives: { rateLimit: { by: 'tier' as const } },
  complexity: ({ input }: { input: { inputs?: unknown } }) => predictCost(rowsSent(input.inputs)),
};

builder.mutationField('predict', (t) =>
  t.field({
    type: PredictionRef,
    description: `Runs a model version on your inputs. Costs ${predictCost(0)} points plus one per 10 rows sent.`,
    ...runsAModel,
    args: { input: t.arg({ type: PredictInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.predictions.predict(
        ctx.em,
        viewerId(ctx),
        { ...input, modelId: String(input.modelId) },
        ctx.admission.pending,
      ),
  }),
);

const PredictionWebhookEventEnum = builder.enumType('PredictionWebhookEvent', {
  values: {
    START: { description: 'It began to run: `prediction.started`.' },
    COMPLETED: { description: 'It ended, however: `prediction.completed`.' },
  } satisfies Record<PredictionWebhookEvent, unknown>,
});

const CreatePredictionInput = builder.inputType('CreatePredictionInput', {
  fields: (t) => ({
    modelId: t.id({ required: true }),
    version: t.int({
      description: "Defaults to the model's active version, fixed when the prediction is created.",
    }),
    cache: t.boolean({ description: 'As for `predict` (default true).' }),
    inputs: t.field({
      type: 'JSON',
      required: true,
      description:
        'As for `predict`, up to ASYNC_MAX_INPUT_ELEMENTS numbers (4,000,000 unless configured) rather than MAX_INPUT_ELEMENTS.',
    }),
    cancelAfter: t.int({
      description: `Seconds (at most ${MAX_CANCEL_AFTER_SECONDS}) after which the prediction fails with ${DEADLINE_EXCEEDED} unless it has ended.`,
    }),
    wait: t.int({
      description: `Seconds (at most ${MAX_WAIT_SECONDS}) to hold the request while the prediction runs: it is returned as soon as it ends, or as it stands when the wait is over. 0 (the default) returns at once.`,
    }),
    webhook: t.string({
      description:
        'A URL told of this prediction (`webhookEvents`), signed with `predictionWebhookSecret` per Standard Webhooks; checked as `createWebhook` checks its URL.',
    }),
    webhookEvents: t.field({
      type: [PredictionWebhookEventEnum],
      description: 'What `webhook` is told of: default [COMPLETED].',
    }),
  }),
});

builder.mutationFields((t) => ({
  createPrediction: t.field({
    type: PredictionRef,
    description:
      'Queues a prediction, which any worker may run: follow it with `prediction`, `predictionUpdated` or `wait`. ' +
      `Costs what \`predict\` costs (${predictCost(0)} points plus one per 10 rows sent).`,
    ...runsAModel,
    args: { input: t.arg({ type: CreatePredictionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.asyncPredictions.create(
        ctx.em,
        viewerId(ctx),
        { ...input, modelId: String(input.modelId) },
        ctx.admission.pending,
      ),
  }),
  cancelPrediction: t.field({
    type: PredictionRef,
    description: 'Cancels one of your predictions that has not ended; returns it as it stands.',
    ...keyScoped('PREDICT'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.asyncPredictions.cancel(ctx.em, viewerId(ctx), String(id)),
  }),
}));

builder.queryField('prediction', (t) =>
  t.field({
    type: PredictionRef,
    nullable: true,
    description: 'One of your predictions, made by `predict` or `createPrediction`.',
    ...keyScoped('PREDICT'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.predictions.get(ctx.em, viewerId(ctx), String(id)),
  }),
);

builder.subscriptionField('predictionUpdated', (t) =>
  t.field({
    type: PredictionRef,
    description: 'One of your predictions as it is now, then at each change of its status, until it ends.',
    ...keyScoped('PREDICT'),
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) =>
      predictionUpdates(ctx.services.liveEvents, ctx.em, viewerId(ctx), String(id)),
    resolve: (prediction) => prediction,
  }),
);

builder.subscriptionField('predictionCompleted', (t) =>
  t.field({
    type: PredictionRef,
    description: 'The caller’s own predictions as they complete; optionally for one model.',
    ...keyScoped('PREDICT'),
    args: { modelId: t.arg.id() },
    subscribe: (_root, { modelId }, ctx) =>
      predictionStream(
        ctx.services.liveEvents,
        ctx.em,
        viewerId(ctx),
        modelId == null ? null : String(modelId),
      ),
    resolve: (prediction) => prediction,
  }),
);
