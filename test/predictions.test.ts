import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel, int64Model, LINEAR_4X3, linearModel, linearReference } from './fixtures/onnx-models.ts';
import type { PredictionsQuery } from './gql/graphql.ts';
import { graphql } from './gql/index.ts';
import {
  createModel,
  modelWithVersion,
  PredictDocument,
  registerUser,
  uploadVersion,
} from './support/fixtures.ts';
import { errorCode, execute, run, startServer, type TestServer, uploadFile } from './support/server.ts';

const PredictionsDocument = graphql(`
  query Predictions($modelId: ID, $first: Int, $after: String) {
    predictions(modelId: $modelId, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          outputs
          model {
            id
          }
          version {
            version
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const DeleteModelDocument = graphql(`
  mutation DeleteModelWithHistory($id: ID!) {
    deleteModel(id: $id)
  }
`);

const { weights: WEIGHTS, bias: BIAS } = LINEAR_4X3;
const CLASSIFIER = linearModel(WEIGHTS, BIAS, { softmax: true });

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MAX_INPUT_ELEMENTS: '1000' });
});
afterAll(() => server.stop());

function expectClose(actual: unknown, expected: number[][], digits = 5) {
  const rows = actual as number[][];
  expect(rows).toHaveLength(expected.length);
  rows.forEach((row, i) => {
    expect(row).toHaveLength(expected[i]!.length);
    row.forEach((value, j) => {
      expect(value).toBeCloseTo(expected[i]![j]!, digits);
    });
  });
}

describe('predict', () => {
  it('runs the active version and returns every output, matching an independent computation', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, CLASSIFIER);
    const x = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const { predict } = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: { x } } },
      user.auth,
    );
    const outputs = predict.outputs as Record<string, number[][]>;
    expect(Object.keys(outputs).sort()).toEqual(['logits', 'probabilities']);
    expectClose(outputs.logits, linearReference(WEIGHTS, BIAS, x));
    expectClose(outputs.probabilities, linearReference(WEIGHTS, BIAS, x, true));
    expect(predict).toMatchObject({
      cached: false,
      model: { id: model.id, name: model.name },
      version: { version: 1 },
    });
    expect(predict.latencyMs).toBeGreaterThan(0);
  });

  it('takes a bare nested array for a single-input model', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, CLASSIFIER);
    const x = [[1, 2, 3, 4]];
    const { predict } = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: x } },
      user.auth,
    );
    expectClose((predict.outputs as Record<string, number[][]>).logits, linearReference(WEIGHTS, BIAS, x));
  });

  it('runs a chosen older version', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, CLASSIFIER);
    const doubled = WEIGHTS.map((row) => row.map((w) => w * 2));
    await uploadVersion(server, user, model.id, linearModel(doubled, BIAS));
    const x = [[1, 1, 1, 1]];
    const latest = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: { x } } },
      user.auth,
    );
    expect(latest.predict.version.version).toBe(2);
    expectClose(
      (latest.predict.outputs as Record<string, number[][]>).logits,
      linearReference(doubled, BIAS, x),
    );
    const first = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, version: 1, inputs: { x } } },
      user.auth,
    );
    expectClose(
      (first.predict.outputs as Record<string, number[][]>).logits,
      linearReference(WEIGHTS, BIAS, x),
    );
  });

  it('feeds several named inputs, and integer tensors', async () => {
    const user = await registerUser(server);
    const { model: adder } = await modelWithVersion(server, user, addModel(3));
    const sum = await run(
      server,
      PredictDocument,
      { input: { modelId: adder.id, inputs: { b: [[10, 20, 30]], a: [[1, 2, 3]] } } },
      user.auth,
    );
    expect(sum.predict.outputs).toEqual({ sum: [[11, 22, 33]] });

    const { model: ints } = await modelWithVersion(server, user, int64Model());
    const doubled = await run(
      server,
      PredictDocument,
      { input: { modelId: ints.id, inputs: [[4_000_000_000, -7]] } },
      user.auth,
    );
    expect(doubled.predict.outputs).toEqual({ doubled: [[8_000_000_000, -14]] });
  });

  it('takes tensors as base64 of their bytes, answering as for the same numbers in JSON, from the same cache', async () => {
    const user = await registerUser(server);
    const { model: adder } = await modelWithVersion(server, user, addModel(3));
    const base64 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
    const binary = await run(
      server,
      PredictDocument,
      {
        input: {
          modelId: adder.id,
          inputs: {
            a: { shape: [2, 3], base64: base64([1, 2, 3, 4, 5, 6]) },
            b: [
              [10, 20, 30],
              [40, 50, 60],
            ],
          },
        },
      },
      user.auth,
    );
    expect(binary.predict).toMatchObject({
      outputs: {
        sum: [
          [11, 22, 33],
          [44, 55, 66],
        ],
      },
      cached: false,
    });
    const json = await run(
      server,
      PredictDocument,
      {
        input: {
          modelId: adder.id,
          inputs: {
            a: [
              [1, 2, 3],
              [4, 5, 6],
            ],
            b: [
              [10, 20, 30],
              [40, 50, 60],
            ],
          },
        },
      },
      user.auth,
    );
    expect(json.predict.cached).toBe(true);

    const refuse = async (a: unknown, reason: RegExp) => {
      const result = await execute(
        server,
        PredictDocument,
        { input: { modelId: adder.id, inputs: { a, b: [[1, 2, 3]] } } },
        user.auth,
      );
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.message).toMatch(reason);
    };
    await refuse({ shape: [1, 3], base64: base64([1, 2]) }, /3 elements take 12 bytes, "base64" holds 8/);
    await refuse({ shape: [1, 4], base64: base64([1, 2, 3, 4]) }, /axis 1 has 4 elements, expected 3/);
    await refuse({ shape: [1, 3], base64: 'not base64!' }, /must be a base64 string/);
    await refuse({ shape: [1, 3], base64: base64([1, Number.NaN, 3]) }, /element 1 is not a finite number/);
  });

  it('explains a model without an active version or an unknown version', async () => {
    const user = await registerUser(server);
    const empty = await createModel(server, user);
    const none = await execute(
      server,
      PredictDocument,
      { input: { modelId: empty.id, inputs: [[1]] } },
      user.auth,
    );
    expect(errorCode(none)).toBe('BAD_USER_INPUT');
    expect(none.errors![0]!.message).toMatch(/no active version/);

    const { model } = await modelWithVersion(server, user, CLASSIFIER);
    const unknown = await execute(
      server,
      PredictDocument,
      { input: { modelId: model.id, version: 9, inputs: [[1, 2, 3, 4]] } },
      user.auth,
    );
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0]!.message).toMatch(/Version 9/);
  });

  it('will not run a model for anyone but its owner', async () => {
    const owner = await registerUser(server);
    const stranger = await registerUser(server);
    const { model } = await modelWithVersion(server, owner, CLASSIFIER);
    const result = await execute(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[1, 2, 3, 4]] } },
      stranger.auth,
    );
    expect(errorCode(result)).toBe('NOT_FOUND');
    expect(
      errorCode(
        await execute(server, PredictDocument, { input: { modelId: model.id, inputs: [[1, 2, 3, 4]] } }),
      ),
    ).toBe('UNAUTHENTICATED');
  });
});

describe('predict refuses bad inputs with a message naming the input and its shape', () => {
  let user: Awaited<ReturnType<typeof registerUser>>;
  let classifier: string;
  let adder: string;
  let ints: string;
  beforeAll(async () => {
    user = await registerUser(server);
    classifier = (await modelWithVersion(server, user, CLASSIFIER)).model.id;
    adder = (await modelWithVersion(server, user, addModel(3))).model.id;
    ints = (await modelWithVersion(server, user, int64Model())).model.id;
  });

  const cases: [string, () => string, unknown, RegExp][] = [
    ['a missing input', () => adder, { a: [[1, 2, 3]] }, /missing input "b" \[\?, 3\]/],
    [
      'an unknown input',
      () => classifier,
      { x: [[1, 2, 3, 4]], y: [[1]] },
      /unknown input "y".*"x" \[\?, 4\]/,
    ],
    ['a bare array for a two-input model', () => adder, [[1, 2, 3]], /several inputs/],
    ['a scalar instead of inputs', () => classifier, 42, /object keyed by input name/],
    [
      'too few dimensions',
      () => classifier,
      { x: [1, 2, 3, 4] },
      /"x" expects shape \[\?, 4\].*got 1 dimensions, expected 2/,
    ],
    [
      'too many dimensions',
      () => classifier,
      { x: [[[1, 2, 3, 4]]] },
      /"x" expects shape \[\?, 4\].*more dimensions/,
    ],
    [
      'a wrong static dimension',
      () => classifier,
      { x: [[1, 2, 3]] },
      /"x" expects shape \[\?, 4\].*axis 1 has 3 elements, expected 4/,
    ],
    [
      'a ragged array',
      () => classifier,
      {
        x: [
          [1, 2, 3, 4],
          [1, 2, 3],
        ],
      },
      /"x".*ragged array at \[1\]/,
    ],
    ['a string', () => classifier, { x: [[1, 2, '3', 4]] }, /"x".*\[0\]\[2\] is a string, not a number/],
    ['a null', () => classifier, { x: [[1, null, 3, 4]] }, /"x".*\[0\]\[1\] is null/],
    ['an empty batch', () => classifier, { x: [] }, /"x".*axis 0 is empty/],
    ['a fraction for an integer input', () => ints, { ids: [[1.5, 2]] }, /"ids".*must be an integer/],
    ['an integer beyond 2^53', () => ints, { ids: [[2 ** 60, 2]] }, /"ids".*must be an integer/],
    [
      'more elements than the cap',
      () => classifier,
      { x: Array.from({ length: 251 }, () => [1, 2, 3, 4]) },
      /too many elements \(1004\).*1000/,
    ],
  ];

  it.each(cases)('%s', async (_label, modelId, inputs, message) => {
    const result = await execute(
      server,
      PredictDocument,
      { input: { modelId: modelId(), inputs } },
      user.auth,
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(message);
  });

  it('refuses NaN and Infinity, which JSON can only carry as literals in the query', async () => {
    // JSON has no NaN; a query literal like 1e999 parses to Infinity.
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({
        query: `mutation { predict(input: { modelId: "${classifier}", inputs: { x: [[1, 2, 1e999, 4]] } }) { id } }`,
      }),
    });
    const result = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(result.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors[0]!.message).toMatch(/\[0\]\[2\] is not a finite number/);
  });

  it('refuses a file a multipart request maps onto the inputs, saying so', async () => {
    const result = await uploadFile(
      server,
      PredictDocument,
      { input: { modelId: classifier, inputs: null } },
      { bytes: new Uint8Array([1, 2, 3]), name: 'inputs.json', at: 'variables.input.inputs' },
      user.auth,
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(/Expected JSON, got a file/);
  });
});

describe('prediction history', () => {
  it('pages through the caller’s own predictions, newest first, optionally per model', async () => {
    const user = await registerUser(server);
    const other = await registerUser(server);
    const { model: a } = await modelWithVersion(server, user, CLASSIFIER);
    const { model: b } = await modelWithVersion(server, user, CLASSIFIER);
    const { model: foreign } = await modelWithVersion(server, other, CLASSIFIER);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const modelId = i % 2 === 0 ? a.id : b.id;
      ids.push(
        (await run(server, PredictDocument, { input: { modelId, inputs: [[i, 0, 0, 0]] } }, user.auth))
          .predict.id,
      );
    }
    await run(
      server,
      PredictDocument,
      { input: { modelId: foreign.id, inputs: [[1, 1, 1, 1]] } },
      other.auth,
    );

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { predictions }: PredictionsQuery = await run(
        server,
        PredictionsDocument,
        { first: 2, after },
        user.auth,
      );
      seen.push(...predictions.edges.map((edge) => edge.node.id));
      if (!predictions.pageInfo.hasNextPage) break;
      after = predictions.pageInfo.endCursor!;
    }
    expect(seen).toEqual([...ids].reverse());

    const { predictions: ofA } = await run(server, PredictionsDocument, { modelId: a.id }, user.auth);
    expect(ofA.edges.map((edge) => edge.node.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect(ofA.edges[0]!.node).toMatchObject({ model: { id: a.id }, version: { version: 1 } });

    expect(errorCode(await execute(server, PredictionsDocument, { modelId: foreign.id }, user.auth))).toBe(
      'NOT_FOUND',
    );
    expect(errorCode(await execute(server, PredictionsDocument, { after: 'bogus' }, user.auth))).toBe(
      'BAD_USER_INPUT',
    );
    expect(errorCode(await execute(server, PredictionsDocument, { first: 1000 }, user.auth))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('is written in batches that a clean shutdown finishes, and a deleted model drops only its own rows', async () => {
    // A flush interval far beyond the test: only shutdown (or a read on the same instance) writes.
    const batching = await startServer({ PREDICTION_HISTORY_FLUSH_MS: '60000' });
    const user = await registerUser(batching);
    const { model: kept } = await modelWithVersion(batching, user, CLASSIFIER);
    const { model: dropped } = await modelWithVersion(batching, user, CLASSIFIER);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const modelId of [kept.id, dropped.id]) {
        const { predict } = await run(
          batching,
          PredictDocument,
          { input: { modelId, inputs: [[i, 1, 2, 3]] } },
          user.auth,
        );
        if (modelId === kept.id) ids.push(predict.id);
      }
    }
    // Another instance has not seen them yet; the model goes before its queued rows are written.
    const { predictions: before } = await run(server, PredictionsDocument, {}, user.auth);
    expect(before.edges).toEqual([]);
    await run(server, DeleteModelDocument, { id: dropped.id }, user.auth);
    await batching.stop();

    const { predictions } = await run(server, PredictionsDocument, {}, user.auth);
    expect(predictions.edges.map((edge) => edge.node.id)).toEqual([...ids].reverse());
  });
});
