import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from './builder.ts';

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function parseDate(value: unknown): Date {
  if (typeof value !== 'string') throw invalid('DateTime must be an ISO 8601 string');
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) {
    throw invalid(`"${value}" is not an ISO 8601 date-time like 2026-01-31T12:00:00Z`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC, e.g. `2026-01-31T12:00:00.000Z`.',
  serialize: (value) => value.toISOString(),
  parseValue: parseDate,
  parseLiteral: (node) => parseDate(node.kind === Kind.STRING ? node.value : null),
});

function literalToJson(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.LIST:
      return node.values.map((value) => literalToJson(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(
        node.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]),
      );
    case Kind.VARIABLE:
      return variables?.[node.name.value];
  }
}

function isFile(value: unknown): value is File {
  const candidate = value as Partial<File> | null;
  return (
    typeof candidate === 'object' &&
    typeof candidate?.arrayBuffer === 'function' &&
    typeof candidate.name === 'string'
  );
}

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  // A multipart request can map a file onto any variable; here it would be read as an object of the
  // parser's own fields.
  parseValue: (value) => {
    if (isFile(value))
      throw invalid('Expected JSON, got a file: a file goes where the operation takes a File');
    return value;
  },
  parseLiteral: (node, variables) => literalToJson(node, variables),
});

builder.scalarType('File', {
  description:
    'A file sent with a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec).',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  // Yoga's multipart parser hands over its own File implementation, so check the shape, not the class.
  parseValue: (value) => {
    if (!isFile(value)) throw invalid('Expected a file sent as a GraphQL multipart request');
    return value;
  },
});
