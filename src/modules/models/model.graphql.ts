import type { TensorSpec } from '../../infra/inference/tensor-spec.ts';
import { builder } from '../../schema/builder.ts';
import {
  idConnection,
  keysetConnection,
  LEGACY_LIST_CAP,
  MAX_PAGE,
  numberKeys,
} from '../../schema/connections.ts';
import { anyKeyScope, keyScoped, needsKeyScope } from '../../schema/key-scopes.ts';
import { viewerId } from '../auth/viewer.ts';
import { modelStream } from './model.events.ts';
import { effectiveBatching, type ModelVersionView, type ModelView } from './model.service.ts';

const TensorSpecRef = builder.objectRef<TensorSpec>('TensorSpec').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    elementType: t.exposeString('elementType', {
      description: 'ONNX element type in lower case, e.g. `float32`, `int64`.',
    }),
    shape: t.field({
      type: ['Int'],
      nullable: { list: false, items: true },
      description: 'One entry per dimension; null where the dimension is dynamic (e.g. the batch).',
      resolve: (spec) => spec.shape,
    }),
  }),
});

const ModelVersionStatusEnum = builder.enumType('ModelVersionStatus', {
  values: {
    READY: { description: 'Runs when asked.' },
    QUARANTINED: {
      description:
        'Its runs repeatedly passed their deadline or crashed their worker: `predict` refuses it with ' +
        'MODEL_QUARANTINED until `quarantinedUntil`.',
    },
  } as const,
});

// API keys: MODELS_READ reads models and versions; a key that predicts or trains sees which model and
// version answered (ids, names, numbers) and, to predict, what a version takes and gives.
export const ModelVersionRef = builder.objectRef<ModelVersionView>('ModelVersion').implement({
  extensions: needsKeyScope('MODELS_READ'),
  fields: (t) => ({
    id: t.exposeID('id', { extensions: anyKeyScope }),
    version: t.exposeInt('version', { extensions: anyKeyScope }),
    inputs: t.expose('inputs', {
      type: [TensorSpecRef],
      extensions: needsKeyScope('PREDICT', 'MODELS_READ'),
    }),
    outputs: t.expose('outputs', {
      type: [TensorSpecRef],
      extensions: needsKeyScope('PREDICT', 'MODELS_READ'),
    }),
    sizeBytes: t.exposeInt('sizeBytes'),
    sha256: t.exposeString('sha256'),
    labels: t.exposeStringList('labels', {
      nullable: true,
      extensions: needsKeyScope('PREDICT', 'MODELS_READ'),
      description: 'For a classifier trained by mlp: the class names, by index of its outputs.',
    }),
    status: t.field({
      type: ModelVersionStatusEnum,
      resolve: (version) =>
        version.quarantinedUntil && version.quarantinedUntil.getTime() > Date.now() ? 'QUARANTINED' : 'READY',
    }),
    quarantinedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'While QUARANTINED: when `predict` takes this version again.',
      resolve: (version) =>
        version.quarantinedUntil && version.quarantinedUntil.getTime() > Date.now()
          ? version.quarantinedUntil
          : null,
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last run of this version that passed its deadline or crashed its worker failed.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

type Batching = { windowMs: number; maxRows: number; preferredRows: number[] };

const ModelBatchingRef = builder.objectRef<Batching>('ModelBatching').implement({
  description:
    'How concurrent calls of the model are batched into one run, as Triton’s dynamic batcher does: the ' +
    'server’s settings, with what the model changed of them.',
  fields: (t) => ({
    maxQueueDelayMs: t.exposeInt('windowMs', {
      description:
        'How long a call may wait for company. 0: never; calls queued behind busy workers still run together.',
    }),
    maxBatchRows: t.exposeInt('maxRows', { description: 'The most rows one run takes.' }),
    preferredBatchRows: t.exposeIntList('preferredRows', {
      description: 'Batch sizes run as soon as they can be formed, without waiting for the delay to end.',
    }),
  }),
});

const ModelBatchingInput = builder.inputType('ModelBatchingInput', {
  description:
    'What the model changes of the server’s batching; a field left out or null keeps the server’s.',
  fields: (t) => ({
    maxQueueDelayMs: t.int({ description: '0 to 1000.' }),
    maxBatchRows: t.int({ description: 'From 1 to the server’s INFERENCE_BATCH_MAX_ROWS.' }),
    preferredBatchRows: t.intList({ description: 'At most 8 sizes, each at most maxBatchRows.' }),
  }),
});

export const ModelRef = builder.objectRef<ModelView>('Model').implement({
  extensions: needsKeyScope('MODELS_READ'),
  fields: (t) => ({
    id: t.exposeID('id', { extensions: anyKeyScope }),
    name: t.exposeString('name', { extensions: anyKeyScope }),
    description: t.exposeString('description', { nullable: true }),
    activeVersion: t.field({
      type: ModelVersionRef,
      nullable: true,
      resolve: (model, _args, ctx) =>
        model.activeVersion == null
          ? null
          : ctx.services.models.findVersion(ctx.em, model, model.activeVersion),
    }),
    versions: t.field({
      type: [ModelVersionRef],
      description: `The first ${LEGACY_LIST_CAP} versions, oldest first.`,
      deprecationReason: `Returns at most ${LEGACY_LIST_CAP}: page through versionsConnection instead.`,
      complexity: { field: 1, multiplier: LEGACY_LIST_CAP },
      resolve: async (model, _args, ctx) =>
        (await ctx.services.models.listVersions(ctx.em, model)).slice(0, LEGACY_LIST_CAP),
    }),
    versionsConnection: t.connection(
      {
        type: ModelVersionRef,
        description: `The versions, oldest first, at most ${MAX_PAGE} a page.`,
        resolve: (model, args, ctx) =>
          keysetConnection(
            args,
            numberKeys,
            (page) => ctx.services.models.versionPage(ctx.em, model, page),
            (version) => version.version,
          ),
      },
      { name: 'ModelVersionConnection' },
      { name: 'ModelVersionEdge' },
    ),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    batching: t.field({
      type: ModelBatchingRef,
      nullable: true,
      description: 'Null when batching is off on this server.',
      resolve: (model, _args, ctx) =>
        effectiveBatching(ctx.services.config.inference.batching, model.batching ?? null),
    }),
    deleted: t.boolean({
      description: 'True only in the `modelUpdated` event that announces the model’s deletion.',
      resolve: (model) => model.deleted === true,
    }),
  }),
});

const CreateModelInput = builder.inputType('CreateModelInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
  }),
});

const UpdateModelInput = builder.inputType('UpdateModelInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    activeVersion: t.int({ description: 'Make this version number the one that predictions use.' }),
    batching: t.field({
      type: ModelBatchingInput,
      description: 'Replaces what the model changes of the server’s batching; null: the server’s again.',
    }),
  }),
});

const UploadModelVersionInput = builder.inputType('UploadModelVersionInput', {
  fields: (t) => ({
    modelId: t.id({ required: true }),
    file: t.field({
      type: 'File',
      required: true,
      description: 'An ONNX file, sent as a GraphQL multipart request.',
    }),
    activate: t.boolean({ description: 'Make the new version active at once (default true).' }),
  }),
});

builder.queryFields((t) => ({
  models: t.field({
    ...keyScoped('MODELS_READ'),
    type: [ModelRef],
    description: `Your ${LEGACY_LIST_CAP} newest models.`,
    deprecationReason: `Returns at most ${LEGACY_LIST_CAP}: page through modelsConnection instead.`,
    complexity: { field: 1, multiplier: LEGACY_LIST_CAP },
    resolve: (_root, _args, ctx) =>
      ctx.services.models.page(ctx.em, viewerId(ctx), { limit: LEGACY_LIST_CAP, inverted: false }),
  }),
  modelsConnection: t.connection(
    {
      ...keyScoped('MODELS_READ'),
      type: ModelRef,
      description: `Your models, newest first, at most ${MAX_PAGE} a page.`,
      resolve: (_root, args, ctx) =>
        idConnection(args, (page) => ctx.services.models.page(ctx.em, viewerId(ctx), page)),
    },
    { name: 'ModelConnection' },
    { name: 'ModelEdge' },
  ),
  model: t.field({
    ...keyScoped('MODELS_READ'),
    type: ModelRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.models.find(ctx.em, viewerId(ctx), String(id)),
  }),
}));

builder.mutationFields((t) => ({
  createModel: t.field({
    ...keyScoped('MODELS_WRITE'),
    directives: { rateLimit: { by: 'tier', budget: 'writes' } },
    type: ModelRef,
    args: { input: t.arg({ type: CreateModelInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.models.create(ctx.em, viewerId(ctx), input),
  }),
  updateModel: t.field({
    ...keyScoped('MODELS_WRITE'),
    type: ModelRef,
    args: { input: t.arg({ type: UpdateModelInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { batching, ...rest } = input;
      return ctx.services.models.update(ctx.em, viewerId(ctx), {
        ...rest,
        id: String(input.id),
        ...(batching === undefined
          ? {}
          : {
              batching: batching && {
                windowMs: batching.maxQueueDelayMs ?? undefined,
                maxRows: batching.maxBatchRows ?? undefined,
                preferredRows: batching.preferredBatchRows ?? undefined,
              },
            }),
      });
    },
  }),
  deleteModel: t.boolean({
    ...keyScoped('MODELS_WRITE'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.models.delete(ctx.em, viewerId(ctx), String(id)),
  }),
  uploadModelVersion: t.field({
    ...keyScoped('MODELS_WRITE'),
    directives: { rateLimit: { by: 'tier', budget: 'writes' } },
    type: ModelVersionRef,
    args: { input: t.arg({ type: UploadModelVersionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.models.upload(ctx.em, viewerId(ctx), {
        modelId: String(input.modelId),
        file: input.file,
        activate: input.activate,
      }),
  }),
}));

builder.subscriptionField('modelUpdated', (t) =>
  t.field({
    type: ModelRef,
    description: 'The caller’s models when they change: new or activated version, rename, deletion.',
    ...keyScoped('MODELS_READ'),
    args: { modelId: t.arg.id() },
    subscribe: (_root, { modelId }, ctx) =>
      modelStream(ctx.services.liveEvents, ctx.em, viewerId(ctx), modelId == null ? null : String(modelId)),
    resolve: (model) => model,
  }),
);
