import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { ModelBatching } from '../../config.ts';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import { User } from '../users/user.entity.ts';

export const Model = defineEntity({
  name: 'Model',
  tableName: 'models',
  uniques: [{ properties: ['owner', 'name'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    owner: () => p.manyToOne(User).deleteRule('cascade').index(),
    name: p.string(),
    description: p.text().nullable(),
    /** The version number predictions use by default; null until a version is activated. */
    activeVersion: p.integer().nullable(),
    /** The highest version number handed out, so numbers are never reused after a version is gone. */
    latestVersion: p.integer().default(0),
    /** What this model changes of the server's batching; null: nothing. */
    batching: p.json<ModelBatching>().nullable(),
    /**
     * Not stored: true only on the model a `modelUpdated` event announces as deleted (the row is gone by
     * then; see model.events.ts).
     */
    deleted: p.boolean().persist(false).default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Model = InferEntity<typeof Model>;
