import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import { Model } from '../models/model.entity.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import { User } from '../users/user.entity.ts';

export const TRAINING_ALGORITHMS = ['LOGISTIC_REGRESSION', 'LINEAR_REGRESSION', 'MLP'] as const;
export type TrainingAlgorithm = (typeof TRAINING_ALGORITHMS)[number];

export const TRAINING_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];
export const ACTIVE_STATUSES: TrainingStatus[] = ['QUEUED', 'RUNNING'];

/** What the user asked for, validated when the job is created and again when it runs. */
export type TrainingParams = {
  labelColumn: string;
  epochs: number;
  learningRate: number;
  hiddenUnits: number;
};

export type TrainingMetrics = Record<string, number>;

export const TrainingJob = defineEntity({
  name: 'TrainingJob',
  tableName: 'training_jobs',
  indexes: [{ properties: ['user', 'id'] }, { properties: ['model', 'id'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    model: () => p.manyToOne(Model).ref().deleteRule('cascade'),
    algorithm: p.enum(TRAINING_ALGORITHMS),
    params: p.json<TrainingParams>(),
    /** The uploaded CSV, in PostgreSQL so a worker on any machine can read it. */
    dataset: p.blob().lazy(),
    status: p.enum(TRAINING_STATUSES).default('QUEUED'),
    progress: p.double().runtimeType('number').$type<number>().default(0),
    metrics: p.json<TrainingMetrics>().nullable(),
    error: p.text().nullable(),
    /** Set by cancelTraining; the worker running the job stops it within a second. */
    cancelRequestedAt: p.datetime().nullable(),
    /** The worker running the job, which renews `leaseUntil` while it trains (see run-training-job.ts). */
    leaseOwner: p.uuid().nullable(),
    leaseUntil: p.datetime().nullable(),
    /** Whether the version it produces becomes the model's active one (see startTraining's `activate`). */
    activate: p.boolean().default(true),
    resultVersion: () => p.manyToOne(ModelVersion).ref().nullable().deleteRule('set null'),
    attempts: p.integer().default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
});
export type TrainingJob = InferEntity<typeof TrainingJob>;
