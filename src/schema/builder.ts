import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ScopeAuthPlugin, { type AuthFailure } from '@pothos/plugin-scope-auth';
import type { RateLimitBudget } from '../config.ts';
import type { Context } from '../context.ts';
import { forbidden } from '../errors.ts';
import type { ApiKeyScope } from '../modules/api-keys/api-key.entity.ts';
import { authenticationError } from '../modules/auth/viewer.ts';
import type { RateLimitRule } from '../modules/rate-limits/rate-limiter.ts';

/** The API key scope a failed check asked for, wherever it sits in the plugin's tree of failures. */
function missingKeyScope(failure: AuthFailure): string | null {
  if (failure.kind === 'AuthScope') return failure.scope === 'keyScope' ? String(failure.parameter) : null;
  if (failure.kind === 'AnyAuthScopes' || failure.kind === 'AllAuthScopes') {
    for (const inner of failure.failures) {
      const scope = missingKeyScope(inner);
      if (scope) return scope;
    }
  }
  return null;
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
  // never an API key); or, for API keys, one scope (JWT sessions hold every scope).
  AuthScopes: { signedIn: boolean; session: boolean; keyScope: ApiKeyScope };
  // Declared on fields, printed in schema.graphql, enforced by rate-limit.directive.ts.
  Directives: {
    rateLimit: { locations: 'FIELD_DEFINITION'; args: { by: RateLimitRule; budget?: RateLimitBudget } };
  };
  // Non-null unless a field says otherwise: the contract's fields are mostly non-null.
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, DirectivesPlugin],
  // Stores applied directives the way @graphql-tools reads them back (for printing and enforcing).
  directives: { useGraphQLToolsUnorderedDirectives: true },
  scopeAuth: {
    // Check a subscription's scopes once, when it starts, rather than on every event.
    authorizeOnSubscribe: true,
    authScopes: ({ viewer }) => ({
      signedIn: viewer.kind === 'user',
      session: viewer.kind === 'user' && viewer.credential.kind === 'jwt',
      keyScope: (scope) =>
        viewer.kind === 'user' &&
        (viewer.credential.kind === 'jwt' || viewer.credential.scopes.includes(scope)),
    }),
    unauthorizedError: (_parent, { viewer }, _info, result) => {
      if (viewer.kind !== 'user') return authenticationError(viewer)!;
      if (viewer.credential.kind === 'apiKey') {
        const missing = missingKeyScope(result.failure);
        if (missing) return forbidden(`This API key lacks the ${missing} scope`);
        return forbidden('This operation needs a signed-in session (a JWT); API keys cannot do it');
      }
      return forbidden('Not allowed');
    },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
