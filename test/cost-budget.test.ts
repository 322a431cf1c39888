import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { modelWithVersion, registerUser, type TestUser } from './support/fixtures.ts';
import { startServer, type TestServer } from './support/server.ts';

type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: { cost?: { requested: number; throttleStatus?: Record<string, number> } };
};

async function send(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Body }> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
}

const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });
const MODEL = linearModel([[1], [1]], [0]);
const PREDICT = 'mutation ($input: PredictInput!) { predict(input: $input) { id outputs } }';
const STANDING = '{ rateLimit { day { remaining } points { limit remaining } } }';
type Standing = { rateLimit: { day: { remaining: number }; points: { limit: number; remaining: number } } };
const HISTORY = '{ predictions(first: 10) { edges { node { id } } } }';
const rows = (count: number) => Array.from({ length: count }, (_, i) => [i, 1]);

describe('the cost budget', () => {
  let server: TestServer;

  beforeAll(async () => {
    // 150 points a minute, and predict calls counted per day too (a window that refills too slowly to
    // blur a count within a test): small enough to reach in a test.
    server = await startServer({ COST_BUDGET_FREE: '150', RATE_LIMIT_FREE: '10,100' });
  });
  afterAll(() => server?.stop());

  it('reports the cost of every response and what is left, as Shopify-style extensions.cost', async () => {
    const user = await registerUser(server, 'cost');
    const spentFrom = performance.now();
    const me = await send(server, '{ me { id email } }', {}, bearer(user));
    expect(me.body.extensions?.cost).toEqual({
      requested: 1,
      throttleStatus: { maximumAvailable: 150, currentlyAvailable: 149, restoreRate: 150 / 60 },
    });
    // A typename-only query touches no field of ours: priced, but not charged.
    const free = await send(server, '{ __typename }', {}, bearer(user));
    expect(free.body.extensions?.cost).toEqual({ requested: 1 });
    const standing = await send(server, STANDING, {}, bearer(user));
    expect(standing.body.extensions?.cost?.requested).toBe(3);
    expect(standing.body.data).toMatchObject({ rateLimit: { points: { limit: 150 } } });
    // 150 less the 1 and the 3 spent, and what refilled meanwhile (2.5 points a second).
    const refilled = Math.ceil(((performance.now() - spentFrom) / 1000) * 2.5);
    const { remaining } = (standing.body.data as Standing).rateLimit.points;
    expect(remaining).toBeGreaterThanOrEqual(146);
    expect(remaining).toBeLessThanOrEqual(146 + refilled);
  });

  it('charges predict by the rows it sends, refuses an operation over budget before it runs, and spends nothing then', async () => {
    // A budget of 150 points per 12 s refills 12.5 a second. Two calls of 62 fit beside the model's upload
    // (about 20) and a standing query (3), and the third is refused if it comes within 3 s of the first,
    // even if the upload's points have come back by then; the checks after it can wait for their points.
    const fast = await startServer({
      COST_BUDGET_FREE: '150',
      RATE_LIMIT_FREE: '10,100',
      RATE_LIMIT_MINUTE_MS: '12000',
    });
    onTestFinished(() => fast.stop());
    const server = fast;
    const user = await registerUser(server, 'budget');
    const { model } = await modelWithVersion(server, user, MODEL);
    const predict = (count: number) =>
      send(server, PREDICT, { input: { modelId: model.id, inputs: rows(count) } }, bearer(user));

    // Each call costs 10 + 520 / 10 = 62.
    const first = await predict(520);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.extensions?.cost?.requested).toBe(62);
    const before = await send(server, STANDING, {}, bearer(user));
    const second = await predict(520);
    expect(second.body.errors).toBeUndefined();

    const refused = await predict(520);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', window: 'points' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);

    // Nothing was run or recorded, and the predict calls budget did not move either.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const history = await send(server, HISTORY, {}, bearer(user));
    expect((history.body.data!.predictions as { edges: unknown[] }).edges).toHaveLength(2);
    const after = await send(server, STANDING, {}, bearer(user));
    const day = (body: Body) => (body.data as Standing).rateLimit.day.remaining;
    expect(day(after.body)).toBe(day(before.body) - 1);

    // More than a whole budget can never pass: a client error, not a wait.
    const huge = await predict(2_000);
    expect(huge.status).toBe(400);
    expect(huge.body.errors?.[0]?.extensions).toMatchObject({ code: 'MAX_COST_EXCEEDED', cost: 210 });
    expect(day((await send(server, STANDING, {}, bearer(user))).body)).toBe(day(before.body) - 1);
  });

  it('leaves the budgets untouched for a key without the scope, or a model that is not the caller’s', async () => {
    const owner = await registerUser(server, 'owner');
    const stranger = await registerUser(server, 'stranger');
    const { model } = await modelWithVersion(server, owner, MODEL);
    const created = await send(
      server,
      'mutation { createApiKey(input: { name: "read-only", scopes: [MODELS_READ] }) { secret } }',
      {},
      bearer(owner),
    );
    const readOnly = { 'x-api-key': (created.body.data!.createApiKey as { secret: string }).secret };
    const input = { input: { modelId: model.id, inputs: rows(1) } };
    const standing = async (user: TestUser) => {
      const answer = await send(server, STANDING, {}, bearer(user));
      return { ...(answer.body.data as Standing).rateLimit, cost: answer.body.extensions!.cost!.requested };
    };

    // Budgets only refill between two readings: what was spent shows as less left than the reading cost.
    const ownerBefore = await standing(owner);
    for (let i = 0; i < 3; i++) {
      const forbidden = await send(server, PREDICT, input, readOnly);
      expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const ownerAfter = await standing(owner);
    expect(ownerAfter.day.remaining).toBe(ownerBefore.day.remaining);
    expect(ownerAfter.points.remaining).toBeGreaterThanOrEqual(
      ownerBefore.points.remaining - ownerAfter.cost,
    );

    const strangerBefore = await standing(stranger);
    const notFound = await send(server, PREDICT, input, bearer(stranger));
    expect(notFound.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const strangerAfter = await standing(stranger);
    expect(strangerAfter.day.remaining).toBe(strangerBefore.day.remaining);
    expect(strangerAfter.points.remaining).toBeGreaterThanOrEqual(
      strangerBefore.points.remaining - strangerAfter.cost,
    );
  });
});
