import { admitsConcurrently } from '../../schema/admission-plugin.ts';
import { builder } from '../../schema/builder.ts';
import { idConnection, MAX_PAGE } from '../../schema/connections.ts';
import { keyScoped, needsKeyScope } from '../../schema/key-scopes.ts';
import { viewerId } from '../auth/viewer.ts';
import { ModelRef, ModelVersionRef } from '../models/model.graphql.ts';
import type { Prediction } from './prediction.entity.ts';
import { predictionStream } from './prediction.events.ts';
import { type FreshPrediction, predictCost } from './prediction.service.ts';

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
    outputs: t.expose('outputs', {
      type: 'JSON',
      description:
        'Map from output name to a nested array of numbers, e.g. {"probabilities": [[0.98, 0.02, 0.0]]}.',
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

builder.mutationField('predict', (t) =>
  t.field({
    type: PredictionRef,
    description: `Runs a model version on your inputs. Costs ${predictCost(0)} points plus one per 10 rows sent.`,
    // Scope and ownership first: a call for someone else's model spends nothing.
    authScopes: (_root, { input }) => ({ modelOwner: String(input.modelId) }),
    extensions: { ...needsKeyScope('PREDICT'), ...admitsConcurrently },
    directives: { rateLimit: { by: 'tier' } },
    complexity: ({ input }) => predictCost(rowsSent(input.inputs)),
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
