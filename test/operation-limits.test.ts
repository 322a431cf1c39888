import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './support/fixtures.ts';
import { startServer, type TestServer } from './support/server.ts';

type Answer = {
  status: number;
  body: {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string } }[];
    extensions?: Record<string, unknown>;
  };
};

/** A raw document, as an attacker sends it (no typed documents: most of these do not validate). */
async function send(
  server: TestServer,
  query: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const codes = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code);
const aliased = (count: number, selection: string) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
/** `__schema { types { fields { type { types … } } } }`, nested `levels` times. */
function deepIntrospection(levels: number): string {
  let selection = 'name';
  for (let i = 0; i < levels; i++) selection = `types { fields { type { ${selection} } } }`;
  return `{ __schema { ${selection} } }`;
}

describe('operation limits (development defaults)', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startServer();
    user = await registerUser(server, 'limits');
  });
  afterAll(() => server?.stop());

  it('refuses an introspection alias bomb with 400 before running it, and memory stays flat', async () => {
    // About 870 KiB of aliased `__schema` cost a gigabyte of heap before these limits.
    const bomb = aliased(14_000, '__schema { types { fields { args { type { name } } } } }');
    expect(bomb.length).toBeGreaterThan(800_000);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5; i++) {
      const answer = await send(server, bomb);
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    }
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);

    // Small enough to parse, still refused for its aliases.
    const small = await send(server, aliased(31, '__schema { types { name } }'));
    expect(small.status).toBe(400);
    expect(codes(small)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(small.body.errors?.[0]?.message).toMatch(/Aliases limit of 30 exceeded/);
  });

  it('refuses a depth bomb, a 10,000-alias `me`, too many tokens and a 5 MB document, each coded', async () => {
    const depth = await send(server, deepIntrospection(8));
    expect(depth.status).toBe(400);
    expect(codes(depth)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(depth.body.errors?.map((error) => error.message).join('\n')).toMatch(/depth limit of 15/);

    const me = await send(server, aliased(10_000, 'me{id}'), { authorization: `Bearer ${user.token}` });
    expect(me.status).toBe(400);
    expect(codes(me)).toEqual(['GRAPHQL_PARSE_FAILED']);

    const tokens = await send(server, `{ ${'__typename '.repeat(2_500)}}`);
    expect(tokens.status).toBe(400);
    expect(tokens.body.errors?.[0]?.message).toMatch(/more than 2000 tokens/);

    const huge = await send(server, `{ me { id } }${' '.repeat(5 * 1024 * 1024)}`);
    expect(huge.status).toBe(400);
    expect(codes(huge)).toEqual(['GRAPHQL_PARSE_FAILED']);
    // A refused document is charged nothing, and says so like every response.
    expect(huge.body.extensions).toEqual({ cost: { requested: 0 }, requestId: expect.any(String) });
  });

  it('still answers what a client sends within the limits, GraphiQL’s introspection query included', async () => {
    const introspection = await send(server, getIntrospectionQuery({ descriptions: true, oneOf: true }));
    expect(introspection.status).toBe(200);
    expect(introspection.body.errors).toBeUndefined();
    const me = await send(server, aliased(30, 'me { id email tier }'), {
      authorization: `Bearer ${user.token}`,
    });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ a0: { email: user.email }, a29: { email: user.email } });
    // GraphQL's own directives, which Apollo and Relay clients send.
    const directed = await send(server, '{ me { id email @include(if: true) tier @skip(if: true) } }', {
      authorization: `Bearer ${user.token}`,
    });
    expect(directed.body.data).toEqual({ me: { id: user.id, email: user.email } });
    const introspected = await send(server, '{ __schema { directives { name } } }');
    const { __schema } = introspected.body.data as { __schema: { directives: { name: string }[] } };
    expect(__schema.directives.map(({ name }) => name).sort()).toEqual([
      'deprecated',
      'include',
      'oneOf',
      'rateLimit',
      'skip',
      'specifiedBy',
    ]);
    // In development a typo is answered with a suggestion.
    const typo = await send(server, '{ mee { id } }');
    expect(typo.body.errors?.[0]?.message).toMatch(/Did you mean "me"\?/);
  });
});

describe('requests that cannot be read', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.stop());

  it('are the client’s error, BAD_REQUEST with 400, never an internal one', async () => {
    const answers: Answer[] = [];
    for (const params of ['variables=notjson', 'extensions=%5B']) {
      const response = await fetch(`${server.graphqlUrl}?query=%7B__typename%7D&${params}`, {
        headers: { accept: 'application/json' },
      });
      answers.push({ status: response.status, body: (await response.json()) as Answer['body'] });
    }
    for (const [operations, map] of [
      ['not json', '{}'],
      [JSON.stringify({ query: '{ __typename }' }), 'not json'],
      // Well-formed JSON, but not what the multipart spec describes.
      [JSON.stringify({ query: '{ __typename }' }), '{"0":5}'],
      ['null', '{"0":["variables.file"]}'],
    ]) {
      const form = new FormData();
      form.set('operations', operations!);
      form.set('map', map!);
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        body: form,
        headers: { 'graphql-require-preflight': '1' },
      });
      answers.push({ status: response.status, body: (await response.json()) as Answer['body'] });
    }
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['BAD_REQUEST']);
    }
  });
});

describe('introspection in production', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startServer({ NODE_ENV: 'production' });
    user = await registerUser(server, 'prod');
  });
  afterAll(() => server?.stop());

  it('is closed to anonymous callers and open to signed-in ones', async () => {
    const anonymous = await send(server, getIntrospectionQuery());
    expect(anonymous.status).toBe(401);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    const hidden = await send(server, '{ a: __typename b: __type(name: "User") { name } }');
    expect(codes(hidden)).toEqual(['UNAUTHENTICATED']);
    expect((await send(server, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });

    const signedIn = await send(server, getIntrospectionQuery(), { authorization: `Bearer ${user.token}` });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  it('does not leak field names through suggestions, and serves no GraphiQL', async () => {
    const typo = await send(server, '{ mee { id } }');
    expect(typo.status).toBe(400);
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "mee" on type "Query".');
    const page = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  });

  it('can be closed to everyone', async () => {
    const closed = await startServer({ NODE_ENV: 'production', INTROSPECTION: 'nobody' });
    try {
      const answer = await send(closed, getIntrospectionQuery(), { authorization: `Bearer ${user.token}` });
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    } finally {
      await closed.stop();
    }
  });
});
