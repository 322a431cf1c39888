import {
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type StringValueNode,
  typeFromAST,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badUserInput } from './errors.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import type { GatePayload } from './operation-limits.ts';

const NUL = '\u0000';

/**
 * Refuses, before it runs, an operation whose text (String and ID arguments, in the document or in its
 * variables) holds the NUL character (U+0000). No PostgreSQL text column takes it: a name, a description,
 * an email or a webhook URL with one would fail deep in a write, as an error of the server's. JSON values
 * (predict inputs) are the model's business and are not read here.
 */
export function useStorableText(): Plugin<{ viewer: Viewer }> {
  const gate = ({ args, setResultAndStopExecution }: GatePayload) => {
    const where = textWithNul(args);
    if (where) {
      setResultAndStopExecution({
        errors: [badUserInput(`${where} holds a NUL character (U+0000), which text may not contain`)],
      });
    }
  };
  return { onExecute: gate, onSubscribe: gate };
}

/** Where the operation's text (a literal, or a variable) holds NUL, or null. */
export function textWithNul(
  args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>,
): string | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return null;
  return (
    literalWithNul(args.document, operation) ?? variableWithNul(args.schema, operation, args.variableValues)
  );
}

/**
 * A string literal holds NUL only if the document spells it as an escape (\u0000 or \u{0}): the lexer
 * refuses a raw one. Looking for that in the text costs a tenth of a microsecond; walking the document
 * costs some.
 */
const NUL_ESCAPE = /\\u(?:0000|\{0+\})/i;

/** Where a string literal of the operation run (or of a fragment) holds NUL, or null. */
function literalWithNul(document: DocumentNode, operation: OperationDefinitionNode): string | null {
  const source = document.loc?.source.body;
  if (source !== undefined && !NUL_ESCAPE.test(source)) return null;
  let found: string | null = null;
  const visitor = {
    StringValue(node: StringValueNode) {
      if (!found && node.value.includes(NUL)) found = `A string on line ${node.loc?.startToken.line ?? '?'}`;
    },
  };
  visit(operation, visitor);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition, visitor);
  }
  return found;
}

/** The variable of the operation run whose value holds NUL in a String or ID, or null. */
function variableWithNul(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  values: Record<string, unknown> | null | undefined,
): string | null {
  if (!values) return null;
  for (const variable of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, variable.type);
    const name = variable.variable.name.value;
    if (type && valueHasNul(type as GraphQLInputType, values[name])) return `Variable "$${name}"`;
  }
  return null;
}

/** Whether the value, read as `type`, holds NUL in a String or ID; JSON and other scalars are skipped. */
function valueHasNul(type: GraphQLInputType, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (isNonNullType(type)) return valueHasNul(type.ofType, value);
  if (isListType(type)) {
    const items = Array.isArray(value) ? value : [value];
    return items.some((item) => valueHasNul(type.ofType, item));
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return false;
    const fields = type.getFields();
    return Object.entries(value).some(([name, field]) => {
      const declared = fields[name];
      return declared !== undefined && valueHasNul(declared.type, field);
    });
  }
  const { name } = getNamedType(type);
  return (name === 'String' || name === 'ID') && typeof value === 'string' && value.includes(NUL);
}
