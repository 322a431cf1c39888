// The Open Inference Protocol (KServe v2) over HTTP/REST, tested with requests built from its
// specification's own examples (inference_rest.md, and Triton's binary tensor data extension).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int64Model, linearModel, oipExampleModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, modelWithVersion, registerUser, type TestUser } from './support/fixtures.ts';
import { run, startServer, type TestServer } from './support/server.ts';

const KeyDocument = graphql(`
  mutation OipKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
    }
  }
`);

const HistoryDocument = graphql(`
  query OipHistory($modelId: ID) {
    predictions(first: 10, modelId: $modelId) {
      edges {
        node {
          outputs
          cached
          version {
            version
          }
        }
      }
    }
  }
`);

const GraphQLPredictDocument = graphql(`
  mutation OipGraphQLPredict($input: PredictInput!) {
    predict(input: $input) {
      outputs
      cached
    }
  }
`);

const RenameDocument = graphql(`
  mutation OipRename($id: ID!, $name: String!) {
    updateModel(input: { id: $id, name: $name }) {
      id
    }
  }
`);

type Reply = { status: number; headers: Headers; json: Record<string, unknown>; bytes: Buffer };

let server: TestServer;
let limited: TestServer;
beforeAll(async () => {
  [server, limited] = await Promise.all([startServer(), startServer({ RATE_LIMIT_FREE: '2,1000' })]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), limited?.stop()]);
});

/** A request as any HTTP client sends it; the reply's JSON part read as the binary extension says. */
async function call(
  target: TestServer,
  path: string,
  options: { method?: string; auth?: Record<string, string>; body?: unknown; binary?: Uint8Array[] } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.auth };
  let body: Uint8Array | undefined;
  if (options.body !== undefined) {
    const json = Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    if (options.binary) {
      body = Buffer.concat([json, ...options.binary]);
      headers['content-type'] = 'application/octet-stream';
      headers['inference-header-content-length'] = String(json.length);
    } else {
      body = json;
      headers['content-type'] = 'application/json';
    }
  }
  const response = await fetch(`${target.url}${path}`, {
    method: options.method ?? (body ? 'POST' : 'GET'),
    headers,
    body: body as BodyInit | undefined,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const jsonLength = Number(response.headers.get('inference-header-content-length') ?? bytes.length);
  return {
    status: response.status,
    headers: response.headers,
    json: JSON.parse(bytes.subarray(0, jsonLength).toString('utf8')) as Record<string, unknown>,
    bytes: bytes.subarray(jsonLength),
  };
}

const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });

/** The spec's example request, with `input1` as the model here takes it (UINT8, not BOOL). */
const exampleRequest = (input1: Record<string, unknown> = { datatype: 'UINT8', data: [1, 0, 1] }) => ({
  id: '42',
  inputs: [
    { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
    { name: 'input1', shape: [3], ...input1 },
  ],
  outputs: [{ name: 'output0' }],
});
/** output0[i][j] = input1[i] + (input0[0][j] + input0[1][j]) for the example's inputs. */
const EXAMPLE_OUTPUT = [5, 7, 4, 6, 5, 7];

async function exampleModel(target = server) {
  const user = await registerUser(target, 'oip');
  const { model } = await modelWithVersion(target, user, oipExampleModel());
  return { user, model };
}

describe('health and server metadata', () => {
  it('answers liveness, readiness and what the server is, without credentials', async () => {
    expect(await call(server, '/v2/health/live')).toMatchObject({ status: 200, json: { live: true } });
    expect(await call(server, '/v2/health/ready')).toMatchObject({ status: 200, json: { ready: true } });
    const metadata = await call(server, '/v2');
    expect(metadata.status).toBe(200);
    expect(metadata.json).toMatchObject({ name: 'mlp', extensions: ['binary_tensor_data'] });
    expect(metadata.json.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers an unknown path 404 and a wrong method 405, as JSON errors', async () => {
    const missing = await call(server, '/v2/nothing/here');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/no such endpoint/);
    const wrong = await call(server, '/v2/health/live', { method: 'POST', body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('model metadata and readiness', () => {
  it("describes a model's tensors in the protocol's terms, by id or by name, and for a version", async () => {
    const { user, model } = await exampleModel();
    const expected = {
      name: model.name,
      versions: ['1'],
      platform: 'onnx_onnxv1',
      inputs: [
        { name: 'input0', datatype: 'UINT32', shape: [2, 2] },
        { name: 'input1', datatype: 'UINT8', shape: [3] },
      ],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [3, 2] }],
    };
    for (const path of [
      `/v2/models/${model.id}`,
      `/v2/models/${encodeURIComponent(model.name)}`,
      `/v2/models/${model.id}/versions/1`,
    ]) {
      expect(await call(server, path, { auth: bearer(user) })).toMatchObject({ status: 200, json: expected });
    }
    // Variable dimensions are -1.
    const linear = await modelWithVersion(server, user, linearModel([[1], [2]], [0]));
    const described = await call(server, `/v2/models/${linear.model.id}`, { auth: bearer(user) });
    expect(described.json.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 2] }]);

    expect(await call(server, `/v2/models/${model.id}/ready`, { auth: bearer(user) })).toMatchObject({
      status: 200,
      json: { name: model.name, ready: true },
    });
    const empty = await createModel(server, user);
    expect(await call(server, `/v2/models/${empty.id}/ready`, { auth: bearer(user) })).toMatchObject({
      status: 503,
      json: { ready: false },
    });
    expect((await call(server, `/v2/models/${model.id}/versions/7`, { auth: bearer(user) })).status).toBe(
      404,
    );
    expect((await call(server, `/v2/models/${model.id}/versions/x`, { auth: bearer(user) })).status).toBe(
      400,
    );
  });

  it("is not found for someone else's model, by id or by name", async () => {
    const { model } = await exampleModel();
    const stranger = await registerUser(server, 'stranger');
    for (const ref of [model.id, model.name, randomUUID()]) {
      const reply = await call(server, `/v2/models/${encodeURIComponent(ref)}`, { auth: bearer(stranger) });
      expect(reply.status).toBe(404);
      expect(reply.json.error).toMatch(/not found/);
    }
  });
});

describe('inference with JSON tensors', () => {
  it("answers the spec's example request, and refuses it as written: its input1 says 3 elements, sends 1", async () => {
    const { user, model } = await exampleModel();
    const path = `/v2/models/${model.name}/infer`;
    const reply = await call(server, path, { auth: bearer(user), body: exampleRequest() });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      model_name: model.name,
      model_version: '1',
      id: '42',
      outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: EXAMPLE_OUTPUT }],
    });

    // The example verbatim: a BOOL input this model does not take, and fewer elements than its shape.
    const verbatim = await call(server, path, {
      auth: bearer(user),
      body: exampleRequest({ datatype: 'BOOL', data: [true] }),
    });
    expect(verbatim.status).toBe(400);
    expect(verbatim.json.error).toBe('input "input1" has datatype BOOL, the model expects UINT8');
    const short = await call(server, path, {
      auth: bearer(user),
      body: exampleRequest({ datatype: 'UINT8', data: [1] }),
    });
    expect(short.status).toBe(400);
    expect(short.json.error).toBe('input "input1" has 1 elements in "data", its shape holds 3');
  });

  it('takes data nested in its natural shape, as well as flat, and a version in the path', async () => {
    const { user, model } = await exampleModel();
    const request = exampleRequest();
    request.inputs[0]!.data = [
      [1, 2],
      [3, 4],
    ] as never;
    const reply = await call(server, `/v2/models/${model.id}/versions/1/infer`, {
      auth: bearer(user),
      body: request,
    });
    expect(reply.json.outputs).toEqual([
      { name: 'output0', shape: [3, 2], datatype: 'FP32', data: EXAMPLE_OUTPUT },
    ]);
  });

  it.each([
    ['not JSON', '{"inputs": [', /not valid JSON/],
    ['no inputs', { inputs: [] }, /non-empty array/],
    [
      'an unknown input',
      { inputs: [{ name: 'nope', shape: [1], datatype: 'FP32', data: [1] }] },
      /unexpected input "nope"/,
    ],
    ['a missing input', { inputs: [exampleRequest().inputs[0]] }, /missing input "input1" \(UINT8 \[3\]\)/],
    [
      'a wrong rank',
      { inputs: [{ ...exampleRequest().inputs[0], shape: [4] }, exampleRequest().inputs[1]] },
      /got 1 dimensions, expected 2/,
    ],
    [
      'too many elements',
      { inputs: [{ ...exampleRequest().inputs[0], data: [1, 2, 3, 4, 5] }, exampleRequest().inputs[1]] },
      /more elements in "data" than its shape holds/,
    ],
    [
      'a negative UINT32',
      { inputs: [{ ...exampleRequest().inputs[0], data: [1, -2, 3, 4] }, exampleRequest().inputs[1]] },
      /element 1 must be an integer from 0 to 4294967295/,
    ],
    [
      'a string for a number',
      { inputs: [{ ...exampleRequest().inputs[0], data: [1, '2', 3, 4] }, exampleRequest().inputs[1]] },
      /element 1 is not a finite number/,
    ],
    [
      'an unknown output',
      { ...exampleRequest(), outputs: [{ name: 'output9' }] },
      /unexpected output "output9"/,
    ],
    [
      'an input given twice',
      { inputs: [...exampleRequest().inputs, exampleRequest().inputs[0]] },
      /given twice/,
    ],
  ])('refuses a request with %s: 400 and the reason', async (_label, body, reason) => {
    const { user, model } = await exampleModel();
    const reply = await call(server, `/v2/models/${model.id}/infer`, { auth: bearer(user), body });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(reason);
  });

  it('carries INT64 values as numbers', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, int64Model());
    const reply = await call(server, `/v2/models/${model.id}/infer`, {
      auth: bearer(user),
      body: { inputs: [{ name: 'ids', shape: [1, 2], datatype: 'INT64', data: [2 ** 40, -3] }] },
    });
    expect(reply.json.outputs).toEqual([
      { name: 'doubled', shape: [1, 2], datatype: 'INT64', data: [2 ** 41, -6] },
    ]);
  });
});

describe('binary tensor data', () => {
  it("round-trips the extension's example: binary inputs after the JSON, binary outputs after it", async () => {
    const { user, model } = await exampleModel();
    const input0 = new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer);
    const input1 = Uint8Array.from([1, 0, 1]);
    const body = {
      model_name: model.name,
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'UINT8', parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }],
    };
    const reply = await call(server, `/v2/models/${model.id}/infer`, {
      auth: bearer(user),
      body,
      binary: [input0, input1],
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/octet-stream');
    expect(reply.json.outputs).toEqual([
      { name: 'output0', shape: [3, 2], datatype: 'FP32', parameters: { binary_data_size: 24 } },
    ]);
    expect(Array.from(new Float32Array(new Uint8Array(reply.bytes).buffer))).toEqual(EXAMPLE_OUTPUT);

    // binary_data_output asks for every output in binary; binary_data: false on one keeps it JSON.
    const json = await call(server, `/v2/models/${model.id}/infer`, {
      auth: bearer(user),
      body: {
        ...body,
        parameters: { binary_data_output: true },
        outputs: [{ name: 'output0', parameters: { binary_data: false } }],
      },
      binary: [input0, input1],
    });
    expect(json.headers.get('inference-header-content-length')).toBeNull();
    expect(json.json.outputs).toEqual([
      { name: 'output0', shape: [3, 2], datatype: 'FP32', data: EXAMPLE_OUTPUT },
    ]);
  });

  it('refuses binary data that does not add up', async () => {
    const { user, model } = await exampleModel();
    const inputs = [
      { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
      { name: 'input1', shape: [3], datatype: 'UINT8', parameters: { binary_data_size: 3 } },
    ];
    const path = `/v2/models/${model.id}/infer`;
    const cases: [unknown, Uint8Array[] | undefined, RegExp][] = [
      [{ inputs }, [new Uint8Array(16), new Uint8Array(2)], /shorter than its inputs declare/],
      [{ inputs }, [new Uint8Array(16), new Uint8Array(4)], /add up to 19/],
      [{ inputs }, undefined, /needs binary data after the JSON/],
      [
        { inputs: [{ ...inputs[0], parameters: { binary_data_size: 12 } }, inputs[1]] },
        [new Uint8Array(12), new Uint8Array(3)],
        /declares binary_data_size 12, but 4 UINT32 elements take 16 bytes/,
      ],
    ];
    for (const [body, binary, reason] of cases) {
      const reply = await call(server, path, { auth: bearer(user), body, ...(binary ? { binary } : {}) });
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatch(reason);
    }
    // NaN is no number a JSON client could send either.
    const linearUser = await registerUser(server);
    const linear = await modelWithVersion(server, linearUser, linearModel([[1], [2]], [0]));
    const nan = await call(server, `/v2/models/${linear.model.id}/infer`, {
      auth: bearer(linearUser),
      body: { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] },
      binary: [new Uint8Array(new Float32Array([1, Number.NaN]).buffer)],
    });
    expect(nan.status).toBe(400);
    expect(nan.json.error).toMatch(/element 1 is not a finite number/);
    // Nor is a JSON number float32 cannot hold: it would run as Infinity and answer NaN.
    const huge = await call(server, `/v2/models/${linear.model.id}/infer`, {
      auth: bearer(linearUser),
      body: { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 1e300] }] },
    });
    expect(huge.status).toBe(400);
    expect(huge.json.error).toMatch(/element 1 is beyond the range of float32/);
  });
});

describe('credentials, scopes and limits', () => {
  it('takes the same keys and tokens as GraphQL, with the same scopes', async () => {
    const { user, model } = await exampleModel();
    const path = `/v2/models/${model.id}/infer`;
    const anonymous = await call(server, path, { body: exampleRequest() });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.json.error).toMatch(/Authentication required/);
    const invalid = await call(server, path, {
      auth: { authorization: 'Bearer nonsense' },
      body: exampleRequest(),
    });
    expect(invalid.status).toBe(401);

    const key = async (scopes: string[]) =>
      (await run(server, KeyDocument, { input: { name: 'oip', scopes: scopes as never } }, user.auth))
        .createApiKey.secret;
    const reader = { 'x-api-key': await key(['MODELS_READ']) };
    const forbidden = await call(server, path, { auth: reader, body: exampleRequest() });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error).toMatch(/lacks the PREDICT scope/);
    expect((await call(server, `/v2/models/${model.id}`, { auth: reader })).status).toBe(200);

    const predictor = { authorization: `Bearer ${await key(['PREDICT'])}` };
    const reply = await call(server, path, { auth: predictor, body: exampleRequest() });
    expect(reply.status).toBe(200);
  });

  it("counts against the tier's predict limit, answering 429 with Retry-After", async () => {
    const { user, model } = await exampleModel(limited);
    const path = `/v2/models/${model.id}/infer`;
    for (let i = 0; i < 2; i++) {
      const reply = await call(limited, path, { auth: bearer(user), body: exampleRequest() });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit')).toMatch(/r=\d+/);
    }
    const refused = await call(limited, path, { auth: bearer(user), body: exampleRequest() });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.json.error).toMatch(/Rate limit exceeded/);
  });
});

describe('one prediction service', () => {
  it("records OIP calls in the history, shares the cache with GraphQL's predict, and follows renames", async () => {
    const { user, model } = await exampleModel();
    await call(server, `/v2/models/${model.name}/infer`, { auth: bearer(user), body: exampleRequest() });
    const { predictions } = await run(server, HistoryDocument, { modelId: model.id }, user.auth);
    expect(predictions.edges.map((edge) => edge.node)).toEqual([
      {
        outputs: {
          output0: [
            [5, 7],
            [4, 6],
            [5, 7],
          ],
        },
        cached: false,
        version: { version: 1 },
      },
    ]);
    const { predict } = await run(
      server,
      GraphQLPredictDocument,
      {
        input: {
          modelId: model.id,
          inputs: {
            input0: [
              [1, 2],
              [3, 4],
            ],
            input1: [1, 0, 1],
          },
        },
      },
      user.auth,
    );
    expect(predict.cached).toBe(true);

    await run(server, RenameDocument, { id: model.id, name: 'renamed-for-oip' }, user.auth);
    const old = await call(server, `/v2/models/${model.name}/infer`, {
      auth: bearer(user),
      body: exampleRequest(),
    });
    expect(old.status).toBe(404);
    const renamed = await call(server, '/v2/models/renamed-for-oip/infer', {
      auth: bearer(user),
      body: exampleRequest(),
    });
    expect(renamed.json).toMatchObject({ model_name: 'renamed-for-oip' });
  });
});
