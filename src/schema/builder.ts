import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import DirectivesPlugin from '@pothos/plugin-directives';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { type AuthFailure } from '@pothos/plugin-scope-auth';
import { type GraphQLField, getNamedType, getNullableType, isLeafType, isListType } from 'graphql';
import type { RateLimitBudget } from '../config.ts';
import type { Context } from '../context.ts';
import { forbidden, notFound } from '../errors.ts';
import { authenticationError } from '../modules/auth/viewer.ts';
import type { RateLimitRule } from '../modules/rate-limits/rate-limiter.ts';
import './admission-plugin.ts';
import { connectionCost } from './connections.ts';

/** The first failed check of a scope, wherever it sits in the plugin's tree of failures. */
function failedScope(failure: AuthFailure, scope: string): string | null {
  if (failure.kind === 'AuthScope') return failure.scope === scope ? String(failure.parameter) : null;
  if (failure.kind === 'AnyAuthScopes' || failure.kind === 'AllAuthScopes') {
    for (const inner of failure.failures) {
      const parameter = failedScope(inner, scope);
      if (parameter) return parameter;
    }
  }
  return null;
}

/**
 * What a field costs unless it declares its own `complexity`: data already loaded with its parent
 * (scalars, enums and lists of them) nothing; an object 1; a connection 1 plus its page (`first`) times
 * each item; a list of objects its items times 10, until it says how many it can return.
 */
function defaultCost(args: Record<string, unknown>, field: GraphQLField<unknown, Context>) {
  const named = getNamedType(field.type);
  if (isLeafType(named)) return 0;
  if (named.name.endsWith('Connection') && field.args.some((arg) => arg.name === 'first'))
    return connectionCost(args);
  return { field: 1, multiplier: isListType(getNullableType(field.type)) ? 10 : 1 };
}

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
  // What a field may declare it needs (`authScopes`): any signed-in caller; a signed-in session (a JWT,
  // never an API key); `modelOwner`: the caller owns the model of this id (checked before a call spends
  // any budget). An API key's scopes are checked before the operation runs, for every field it reaches
  // (key-scopes.ts).
  AuthScopes: { signedIn: boolean; session: boolean; modelOwner: string };
  // Declared on fields, printed in schema.graphql, enforced by rate-limit.directive.ts.
  Directives: {
    rateLimit: { locations: 'FIELD_DEFINITION'; args: { by: RateLimitRule; budget?: RateLimitBudget } };
  };
  // Non-null unless a field says otherwise: the contract's fields are mostly non-null.
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  defaultFieldNullability: false,
  // Order matters: each plugin wraps the ones after it, so scopes are checked before admission spends.
  plugins: [ScopeAuthPlugin, DirectivesPlugin, RelayPlugin, ComplexityPlugin, 'admission'],
  // Connections only (cursors, `first` ≤ 100); ids stay the plain ids of the contract, no global `node`.
  relay: {
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // The connection's `first` already counts its items: `edges` does not multiply them again.
    edgesFieldOptions: { nullable: false, complexity: { field: 0, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
  },
  // Costs are declared here and next to fields; operation-cost.ts computes and charges them.
  complexity: { disabled: true, fieldComplexity: (args, _ctx, field) => defaultCost(args, field) },
  // Stores applied directives the way @graphql-tools reads them back (for printing and enforcing).
  directives: { useGraphQLToolsUnorderedDirectives: true },
  scopeAuth: {
    // Check a subscription's scopes once, when it starts, rather than on every event.
    authorizeOnSubscribe: true,
    authScopes: ({ viewer, services, em }) => ({
      signedIn: viewer.kind === 'user',
      session: viewer.kind === 'user' && viewer.credential.kind === 'jwt',
      modelOwner: async (modelId) =>
        viewer.kind === 'user' && (await services.models.owns(em, viewer.userId, modelId)),
    }),
    unauthorizedError: (_parent, { viewer }, _info, result) => {
      if (viewer.kind !== 'user') return authenticationError(viewer)!;
      // Other users' models are not found, never forbidden: nobody learns that they exist.
      if (failedScope(result.failure, 'modelOwner')) return notFound('Model');
      if (viewer.credential.kind === 'apiKey') {
        return forbidden('This operation needs a signed-in session (a JWT); API keys cannot do it');
      }
      return forbidden('Not allowed');
    },
  },
});

const COSTS =
  'Every operation is charged its cost, in points, from the caller’s budget per minute (`rateLimit { points }`; ' +
  'FREE 20,000, PRO 200,000, ENTERPRISE 2,000,000 unless configured), before it runs: a field returning an ' +
  'object costs 1, scalars and enums nothing, a list its items times the cost of each (10 unless the field ' +
  'says how many it can return; connections: `first`), a mutation 10 unless it says otherwise. Every response ' +
  'reports it in `extensions.cost`.';

builder.queryType({ description: COSTS });
builder.mutationType({ description: COSTS });
builder.subscriptionType({ description: `${COSTS} A subscription is charged once, when it starts.` });
