import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  parse,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimits } from './config.ts';
import type { Viewer } from './modules/auth/viewer.ts';

/**
 * Bounds every document before anything runs. Size and tokens are graphql-js's own parser limits (it stops
 * lexing at the limit, so a 5 MB document costs no more than a small one); depth, aliases and directives are
 * GraphQL Armor's validation rules. All of these answer 400 with GRAPHQL_PARSE_FAILED or
 * GRAPHQL_VALIDATION_FAILED. Introspection is gated by the configured policy once the caller is known.
 */
export function useOperationLimits(limits: OperationLimits): Plugin<{ viewer: Viewer }> {
  const rules = armorRules(limits);
  const gateIntrospection = ({ args, setResultAndStopExecution }: GatePayload) => {
    const refusal = introspectionRefusal(limits, args.contextValue.viewer, args.document, args.operationName);
    if (refusal) setResultAndStopExecution({ errors: [refusal] });
  };
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) =>
        parse(source, { ...options, maxSourceLength: limits.maxChars, maxLexicalTokens: limits.maxTokens }),
      );
    },
    onValidate({ addValidationRule, setValidationFn }) {
      for (const rule of rules) addValidationRule(rule);
      // Suggestions name fields and types; they stay out of errors wherever introspection is closed.
      if (!limits.suggestions) {
        setValidationFn((schema, document, validationRules) =>
          validate(schema, document, validationRules, { hideSuggestions: true }),
        );
      }
    },
    onExecute: gateIntrospection,
    onSubscribe: gateIntrospection,
  };
}

/** What onExecute and onSubscribe hand a check that may refuse the operation before it runs. */
export type GatePayload = {
  args: ExecutionArgs & { contextValue: { viewer: Viewer } };
  setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void;
};

/** GraphQL Armor's depth, alias and directive limits, as validation rules. */
export function armorRules(limits: OperationLimits): ValidationRule[] {
  // Reported like any validation error (Armor would otherwise throw out of validation, uncoded).
  const armor = {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    // Introspection counts too: `__schema { types { fields { type { fields … } } } }` is the classic bomb.
    maxDepthRule({ ...armor, n: limits.maxDepth, ignoreIntrospection: false, flattenFragments: true }),
    maxAliasesRule({ ...armor, n: limits.maxAliases }),
    maxDirectivesRule({ ...armor, n: limits.maxDirectives }),
  ];
}

function introspectionRefusal(
  limits: OperationLimits,
  viewer: Viewer,
  document: DocumentNode,
  operationName: string | null | undefined,
): GraphQLError | null {
  const policy = limits.introspection;
  if (policy === 'everyone' || (policy === 'signed-in' && viewer.kind === 'user')) return null;
  if (!introspects(document, operationName)) return null;
  if (policy === 'signed-in') {
    return new GraphQLError('Introspection is open to signed-in callers only on this server', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  return new GraphQLError('Introspection is disabled on this server', {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
  });
}

/** The document's fragments by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** Whether the operation to run selects `__schema` or `__type` (`__typename` is not introspection). */
function introspects(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  const fragments = fragmentsOf(document);
  const seen = new Set<string>();
  const visit = (selections: SelectionSetNode): boolean =>
    selections.selections.some((selection) => {
      if (selection.kind === Kind.FIELD)
        return selection.name.value === '__schema' || selection.name.value === '__type';
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      const name = selection.name.value;
      if (seen.has(name)) return false;
      seen.add(name);
      const fragment = fragments.get(name);
      return fragment ? visit(fragment.selectionSet) : false;
    });
  return operation ? visit(operation.selectionSet) : false;
}
