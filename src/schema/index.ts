import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import '../modules/users/user.graphql.ts';
import '../modules/api-keys/api-key.graphql.ts';
import '../modules/models/model.graphql.ts';
import '../modules/predictions/prediction.graphql.ts';

export const schema = builder.toSchema({ sortSchema: true });

/** The committed `schema.graphql`: sorted, so a diff shows only real changes. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
