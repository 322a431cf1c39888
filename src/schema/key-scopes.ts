import {
  type DocumentNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isCompositeType,
  isUnionType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ApiKeyScope } from '../modules/api-keys/api-key.entity.ts';
import type { Viewer } from '../modules/auth/viewer.ts';
import { fragmentsOf, type GatePayload } from '../operation-limits.ts';

/**
 * Which API key scopes may read a field: any one of a list, or `any` scope at all. Declared on a type (for
 * all its fields) or on a field (overriding its type), in the schema's `extensions`; a field with neither
 * needs no scope (a signed-in caller is enough, where the field asks for one). Sessions (JWTs) hold every
 * scope.
 */
export type KeyScopeRule = readonly ApiKeyScope[] | 'any';
type WithKeyScopes = { keyScopes?: KeyScopeRule };

/** Extensions for a type or field that needs one of these scopes. */
export const needsKeyScope = (...scopes: ApiKeyScope[]): WithKeyScopes => ({ keyScopes: scopes });
/** Extensions for a field that any key may read, whatever its type asks (an id, a name). */
export const anyKeyScope: WithKeyScopes = { keyScopes: 'any' };

/** Options for a root field that API keys reach with one of these scopes (sessions always). */
export const keyScoped = (...scopes: ApiKeyScope[]) => ({
  authScopes: { signedIn: true },
  extensions: needsKeyScope(...scopes),
});

/** Scopes that come with others: whoever may change models may read them. */
const IMPLIED: Partial<Record<ApiKeyScope, ApiKeyScope[]>> = { MODELS_WRITE: ['MODELS_READ'] };

/** What a key holding `scopes` may do, implied scopes included. */
export function heldScopes(scopes: readonly ApiKeyScope[]): ReadonlySet<ApiKeyScope> {
  return new Set(scopes.flatMap((scope) => [scope, ...(IMPLIED[scope] ?? [])]));
}

/** Whether the caller holds the scope: a session holds them all. */
export function holdsKeyScope(viewer: Viewer, scope: ApiKeyScope): boolean {
  if (viewer.kind !== 'user') return false;
  return viewer.credential.kind === 'jwt' || heldScopes(viewer.credential.scopes).has(scope);
}

export type MissingScope = { coordinate: string; needs: readonly ApiKeyScope[] };

/**
 * The first field of the operation to run that a key with `scopes` may not read, wherever it is nested
 * (in fragments too), or null. Read from the document alone, before anything runs: a `predict` that asks
 * for a field its key may not read is refused whole, the model never run and nothing charged.
 */
export function missingKeyScope(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  scopes: readonly ApiKeyScope[],
): MissingScope | null {
  const held = heldScopes(scopes);
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const fragments = fragmentsOf(document);

  const seen = new Set<string>();
  const walk = (selections: SelectionSetNode, parent: GraphQLCompositeType): MissingScope | null => {
    for (const selection of selections.selections) {
      let missing: MissingScope | null = null;
      if (selection.kind === Kind.FIELD) {
        // A union has no fields but __typename.
        if (isUnionType(parent)) continue;
        const field = parent.getFields()[selection.name.value];
        if (!field) continue;
        const rule =
          (field.extensions as WithKeyScopes).keyScopes ?? (parent.extensions as WithKeyScopes).keyScopes;
        if (rule && rule !== 'any' && !rule.some((scope) => held.has(scope))) {
          return { coordinate: `${parent.name}.${field.name}`, needs: rule };
        }
        const type = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(type)) missing = walk(selection.selectionSet, type);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) missing = walk(selection.selectionSet, type);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type && isCompositeType(type)) missing = walk(fragment.selectionSet, type);
      }
      if (missing) return missing;
    }
    return null;
  };
  return walk(operation.selectionSet, root);
}

/** Refuses an operation (over HTTP or a socket) that reaches a field its API key's scopes do not cover. */
export function useKeyScopes(): Plugin<{ viewer: Viewer }> {
  const gate = ({ args, setResultAndStopExecution }: GatePayload) => {
    const { viewer } = args.contextValue;
    if (viewer.kind !== 'user' || viewer.credential.kind !== 'apiKey') return;
    const missing = missingKeyScope(args.schema, args.document, args.operationName, viewer.credential.scopes);
    if (!missing) return;
    const needs = missing.needs.join(' or ');
    setResultAndStopExecution({
      errors: [
        new GraphQLError(`This API key lacks the ${needs} scope, which ${missing.coordinate} needs`, {
          extensions: {
            code: 'FORBIDDEN',
            scopes: missing.needs,
            field: missing.coordinate,
            http: { status: 403 },
          },
        }),
      ],
    });
  };
  return { onExecute: gate, onSubscribe: gate };
}
