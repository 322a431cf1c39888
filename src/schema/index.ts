import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { lexicographicSortSchema, specifiedDirectives } from 'graphql';
import { rateLimitDirective } from '../modules/rate-limits/rate-limit.directive.ts';
import { builder } from './builder.ts';
import './scalars.ts';
import '../modules/users/user.graphql.ts';
import '../modules/api-keys/api-key.graphql.ts';
import '../modules/models/model.graphql.ts';
import '../modules/models/model-quotas.graphql.ts';
import '../modules/predictions/prediction.graphql.ts';
import '../modules/rate-limits/rate-limit.graphql.ts';
import '../modules/training/training.graphql.ts';
import '../modules/webhooks/webhook.graphql.ts';

// The list replaces GraphQL's own directives rather than adding to them: @include, @skip, @deprecated,
// @specifiedBy and @oneOf must be named too, or every client that sends @include is refused.
export const schema = builder.toSchema({
  sortSchema: true,
  directives: [...specifiedDirectives, rateLimitDirective],
});

/** The committed `schema.graphql`: sorted, with the directives applied to fields, so a diff shows real changes. */
export function printSortedSchema(): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
