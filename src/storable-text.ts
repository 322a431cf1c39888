import {
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  typeFromAST,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badUserInput } from './errors.ts';

const NUL = '\u0000';

/**
 * Refuses, before it runs, an operation whose text (String and ID arguments, in the document or in its
 * variables) holds the NUL character (U+0000). No PostgreSQL text column takes it: a name, a description,
 * an email or a webhook URL with one would fail deep in a write, as an error of the server's. JSON values
 * (predict inputs) are the model's business and are not read here.
 */
export function useStorableText(): Plugin {
  const gate = ({ args, setResultAndStopExecution }: StopPayload) => {
    if (literalHasNul(args.document) || variablesHaveNul(args.schema, args.document, args.variableValues)) {
      setResultAndStopExecution({
        errors: [badUserInput('Text may not contain the NUL character (U+0000)')],
      });
    }
  };
  return { onExecute: gate, onSubscribe: gate };
}

type StopPayload = {
  args: ExecutionArgs;
  setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void;
};

function literalHasNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (node.value.includes(NUL)) found = true;
    },
  });
  return found;
}

function variablesHaveNul(
  schema: GraphQLSchema,
  document: DocumentNode,
  values: Record<string, unknown> | null | undefined,
): boolean {
  if (!values) return false;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const type = typeFromAST(schema, variable.type);
      if (type && valueHasNul(type as GraphQLInputType, values[variable.variable.name.value])) return true;
    }
  }
  return false;
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
