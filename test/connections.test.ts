import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { createModel, registerUser, type TestUser, uploadVersion } from './support/fixtures.ts';
import { startServer, type TestServer } from './support/server.ts';

type Page = {
  edges: { cursor: string; node: { id: string; name?: string; version?: number } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
};
type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
  extensions?: { cost?: { requested: number } };
};

async function send(server: TestServer, user: TestUser, query: string, variables = {}): Promise<Body> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Body;
}

const MODELS = `query ($first: Int, $after: String, $last: Int, $before: String) {
  modelsConnection(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('connections', () => {
  let server: TestServer;
  let user: TestUser;
  /** The user's models, newest first. */
  let names: string[];

  beforeAll(async () => {
    server = await startServer();
    user = await registerUser(server, 'pages');
    names = [];
    for (let i = 0; i < 5; i++) names.unshift((await createModel(server, user, `model-${i}`)).name);
  });
  afterAll(() => server?.stop());

  const page = async (variables: Record<string, unknown>) => {
    const body = await send(server, user, MODELS, variables);
    expect(body.errors).toBeUndefined();
    return body.data!.modelsConnection as Page;
  };

  it('pages forward with cursors, newest first, and prices a page by its size', async () => {
    const first = await page({ first: 2 });
    expect(first.edges.map((edge) => edge.node.name)).toEqual(names.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.name)).toEqual(names.slice(2, 4));
    const last = await page({ first: 2, after: second.pageInfo.endCursor });
    expect(last.edges.map((edge) => edge.node.name)).toEqual(names.slice(4));
    expect(last.pageInfo.hasNextPage).toBe(false);

    // Backwards from the end: the same order within the page.
    const back = await page({ last: 2, before: last.edges[0]!.cursor });
    expect(back.edges.map((edge) => edge.node.name)).toEqual(names.slice(2, 4));

    // 1 for the connection, then each of `first` items: its node (1) and nothing for scalars.
    const priced = await send(server, user, '{ modelsConnection(first: 7) { edges { node { id } } } }');
    expect(priced.extensions?.cost?.requested).toBe(8);
  });

  it('refuses a page over 100 and a cursor it did not make', async () => {
    const tooMany = await send(server, user, MODELS, { first: 1000 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const forged = await send(server, user, MODELS, { first: 2, after: 'bm90LWEtY3Vyc29y' });
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('pages the versions of a model, oldest first, and keeps the deprecated lists working', async () => {
    const model = await createModel(server, user, 'versioned');
    for (let i = 0; i < 3; i++) await uploadVersion(server, user, model.id, linearModel([[i], [1]], [0]));
    const body = await send(
      server,
      user,
      `query ($id: ID!, $after: String) { model(id: $id) {
        versions { version }
        versionsConnection(first: 2, after: $after) { edges { node { version } } pageInfo { hasNextPage endCursor } }
      } }`,
      { id: model.id },
    );
    const found = body.data!.model as { versions: { version: number }[]; versionsConnection: Page };
    expect(found.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(found.versionsConnection.edges.map((edge) => edge.node.version)).toEqual([1, 2]);
    const rest = await send(
      server,
      user,
      'query ($id: ID!, $after: String) { model(id: $id) { versionsConnection(first: 2, after: $after) { edges { node { version } } pageInfo { hasNextPage } } } }',
      { id: model.id, after: found.versionsConnection.pageInfo.endCursor },
    );
    const next = (rest.data!.model as { versionsConnection: Page }).versionsConnection;
    expect(next.edges.map((edge) => edge.node.version)).toEqual([3]);
    expect(next.pageInfo.hasNextPage).toBe(false);

    const lists = await send(
      server,
      user,
      '{ models { name } apiKeysConnection(first: 5) { edges { node { id } } } trainingJobsConnection(first: 5) { edges { node { id } } } }',
    );
    expect((lists.data!.models as { name: string }[]).map((m) => m.name)).toEqual(['versioned', ...names]);
    expect(lists.data).toMatchObject({
      apiKeysConnection: { edges: [] },
      trainingJobsConnection: { edges: [] },
    });
  });
});
