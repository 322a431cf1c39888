import { forbidden } from '../../errors.ts';
import { builder } from '../../schema/builder.ts';
import { idConnection, LEGACY_LIST_CAP, MAX_PAGE } from '../../schema/connections.ts';
import { holdsKeyScope, keyScoped, needsKeyScope } from '../../schema/key-scopes.ts';
import { viewerId } from '../auth/viewer.ts';
import { ModelRef, ModelVersionRef } from '../models/model.graphql.ts';
import { trainingJobStream } from './training.events.ts';
import { TRAINING_ALGORITHMS, TRAINING_STATUSES, type TrainingJob } from './training-job.entity.ts';

const TrainingAlgorithmEnum = builder.enumType('TrainingAlgorithm', { values: TRAINING_ALGORITHMS });
const TrainingStatusEnum = builder.enumType('TrainingStatus', { values: TRAINING_STATUSES });

const TrainingJobRef = builder.objectRef<TrainingJob>('TrainingJob').implement({
  extensions: needsKeyScope('TRAIN'),
  fields: (t) => ({
    id: t.exposeID('id'),
    model: t.field({ type: ModelRef, resolve: (job) => job.model.loadOrFail() }),
    algorithm: t.expose('algorithm', { type: TrainingAlgorithmEnum }),
    status: t.expose('status', { type: TrainingStatusEnum }),
    progress: t.exposeFloat('progress', { description: 'From 0 to 1.' }),
    attempts: t.exposeInt('attempts', {
      description:
        'How many times a worker has started this job: more than 1 when a worker died while running it.',
    }),
    metrics: t.expose('metrics', {
      type: 'JSON',
      nullable: true,
      description:
        'The latest metrics, e.g. {"epoch": 3, "loss": 0.41, "validationLoss": 0.44, "accuracy": 0.93}; ' +
        'accuracy (classifiers) and r2 (regression) are measured on the held-out validation rows.',
    }),
    activate: t.exposeBoolean('activate', {
      description: 'Whether the version it produces becomes the model’s active one.',
    }),
    resultVersion: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version this job produced, once it has succeeded.',
      resolve: (job) => job.resultVersion?.load() ?? null,
    }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const StartTrainingInput = builder.inputType('StartTrainingInput', {
  fields: (t) => ({
    modelId: t.id({ required: true }),
    dataset: t.field({ type: 'File', required: true, description: 'A CSV file with a header row.' }),
    labelColumn: t.string({ required: true }),
    algorithm: t.field({ type: TrainingAlgorithmEnum, required: true }),
    epochs: t.int({ description: 'Default 100.' }),
    learningRate: t.float({ description: 'Adam step size; default 0.01.' }),
    hiddenUnits: t.int({ description: 'MLP only: width of the hidden layer; default 32.' }),
    activate: t.boolean({
      description:
        'Make the version it produces the active one, which `predict` uses. Default: true for a session or a key ' +
        'with MODELS_WRITE; false for a key without it, which may not ask for true (FORBIDDEN): training ' +
        'must not change what a model serves unless the key may change models.',
    }),
  }),
});

builder.queryFields((t) => ({
  trainingJob: t.field({
    type: TrainingJobRef,
    nullable: true,
    ...keyScoped('TRAIN'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.training.find(ctx.em, viewerId(ctx), String(id)),
  }),
  trainingJobs: t.field({
    type: [TrainingJobRef],
    description: `Your ${LEGACY_LIST_CAP} newest training jobs.`,
    deprecationReason: `Returns at most ${LEGACY_LIST_CAP}: page through trainingJobsConnection instead.`,
    complexity: { field: 1, multiplier: LEGACY_LIST_CAP },
    ...keyScoped('TRAIN'),
    args: { modelId: t.arg.id() },
    resolve: (_root, { modelId }, ctx) =>
      ctx.services.training.page(ctx.em, viewerId(ctx), modelId == null ? null : String(modelId), {
        limit: LEGACY_LIST_CAP,
        inverted: false,
      }),
  }),
  trainingJobsConnection: t.connection(
    {
      type: TrainingJobRef,
      description: `Your training jobs, newest first, optionally of one model, at most ${MAX_PAGE} a page.`,
      ...keyScoped('TRAIN'),
      args: { modelId: t.arg.id() },
      resolve: (_root, args, ctx) =>
        idConnection(args, (page) =>
          ctx.services.training.page(
            ctx.em,
            viewerId(ctx),
            args.modelId == null ? null : String(args.modelId),
            page,
          ),
        ),
    },
    { name: 'TrainingJobConnection' },
    { name: 'TrainingJobEdge' },
  ),
}));

builder.mutationFields((t) => ({
  startTraining: t.field({
    type: TrainingJobRef,
    description:
      'Trains a new version of the model from a CSV, in the background; watch it with trainingJobUpdated.',
    ...keyScoped('TRAIN'),
    directives: { rateLimit: { by: 'tier', budget: 'writes' } },
    args: { input: t.arg({ type: StartTrainingInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const mayActivate = holdsKeyScope(ctx.viewer, 'MODELS_WRITE');
      if (input.activate && !mayActivate) {
        throw forbidden(
          'This API key lacks the MODELS_WRITE scope, which activating the trained version needs',
        );
      }
      return ctx.services.training.start(ctx.em, viewerId(ctx), {
        ...input,
        modelId: String(input.modelId),
        activate: input.activate ?? mayActivate,
      });
    },
  }),
  cancelTraining: t.field({
    type: TrainingJobRef,
    ...keyScoped('TRAIN'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.training.cancel(ctx.em, viewerId(ctx), String(id)),
  }),
}));

builder.subscriptionField('trainingJobUpdated', (t) =>
  t.field({
    type: TrainingJobRef,
    description:
      'Every status, progress or metrics change of the caller’s training jobs; optionally one job.',
    ...keyScoped('TRAIN'),
    args: { jobId: t.arg.id() },
    subscribe: (_root, { jobId }, ctx) =>
      trainingJobStream(ctx.services.liveEvents, ctx.em, viewerId(ctx), jobId == null ? null : String(jobId)),
    resolve: (job) => job,
  }),
);
