import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel, irisLikeClassifier, largeLookupModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  createModel,
  modelWithVersion,
  PredictDocument,
  registerUser,
  tryUploadVersion,
  UploadModelVersionDocument,
  uploadVersion,
} from './support/fixtures.ts';
import {
  errorCode,
  execute,
  type GraphQLResponse,
  run,
  startServer,
  type TestServer,
  uploadFile,
} from './support/server.ts';

const ModelsDocument = graphql(`
  query Models {
    models {
      id
      name
      description
      activeVersion {
        version
      }
      versions {
        version
        sha256
      }
    }
  }
`);

const ModelDocument = graphql(`
  query Model($id: ID!) {
    model(id: $id) {
      id
      name
      description
      createdAt
      updatedAt
      activeVersion {
        version
        inputs {
          name
          elementType
          shape
        }
      }
      versions {
        version
      }
    }
  }
`);

const UpdateModelDocument = graphql(`
  mutation UpdateModel($input: UpdateModelInput!) {
    updateModel(input: $input) {
      id
      name
      description
      activeVersion {
        version
      }
    }
  }
`);

const BatchingDocument = graphql(`
  mutation ModelBatching($input: UpdateModelInput!) {
    updateModel(input: $input) {
      batching {
        maxQueueDelayMs
        maxBatchRows
        preferredBatchRows
      }
    }
  }
`);

const DeleteModelDocument = graphql(`
  mutation DeleteModel($id: ID!) {
    deleteModel(id: $id)
  }
`);

const CreateModelWithDescriptionDocument = graphql(`
  mutation CreateModelWithDescription($input: CreateModelInput!) {
    createModel(input: $input) {
      id
      name
      description
    }
  }
`);

const SignInDocument = graphql(`
  mutation ModelsSignIn($input: LoginInput!) {
    login(input: $input) {
      token
    }
  }
`);

const IRIS = irisLikeClassifier();

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MAX_MODEL_BYTES: '4096' });
});
afterAll(() => server.stop());

describe('models', () => {
  it('creates, renames, describes and deletes a model', async () => {
    const user = await registerUser(server);
    const { createModel: created } = await run(
      server,
      CreateModelWithDescriptionDocument,
      { input: { name: '  churn  ', description: 'Who leaves next month' } },
      user.auth,
    );
    expect(created).toMatchObject({ name: 'churn', description: 'Who leaves next month' });

    const { updateModel } = await run(
      server,
      UpdateModelDocument,
      { input: { id: created.id, name: 'churn-v2', description: null } },
      user.auth,
    );
    expect(updateModel).toMatchObject({ name: 'churn-v2', description: null, activeVersion: null });
    expect((await run(server, ModelsDocument, {}, user.auth)).models.map((m) => m.name)).toEqual([
      'churn-v2',
    ]);

    expect((await run(server, DeleteModelDocument, { id: created.id }, user.auth)).deleteModel).toBe(true);
    expect((await run(server, ModelsDocument, {}, user.auth)).models).toEqual([]);
    expect((await run(server, ModelDocument, { id: created.id }, user.auth)).model).toBeNull();
  });

  it('refuses a duplicate, empty or overlong name', async () => {
    const user = await registerUser(server);
    await createModel(server, user, 'taken');
    for (const name of ['taken', '   ', 'x'.repeat(101)]) {
      const result = await execute(
        server,
        CreateModelWithDescriptionDocument,
        { input: { name } },
        user.auth,
      );
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
    }
    // Names are per user: someone else may use the same one.
    await createModel(server, await registerUser(server), 'taken');
  });

  it('refuses text with a NUL character, which PostgreSQL cannot store, as the client’s error', async () => {
    const user = await registerUser(server);
    for (const input of [{ name: 'a\u0000b' }, { name: 'fine', description: 'nul\u0000inside' }]) {
      const result = await execute(server, CreateModelWithDescriptionDocument, { input }, user.auth);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.message).toBe(
        'Variable "$input" holds a NUL character (U+0000), which text may not contain',
      );
    }
    // Written in the document itself, as either GraphQL escape.
    for (const spelled of ['\\u0000', '\\u{0}']) {
      const literal = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ query: `mutation { createModel(input: { name: "a${spelled}b" }) { id } }` }),
      });
      const answer = (await literal.json()) as {
        errors: { message: string; extensions: { code: string } }[];
      };
      expect(answer.errors[0]).toMatchObject({
        message: 'A string on line 1 holds a NUL character (U+0000), which text may not contain',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    // Signing in needs no account to try it.
    const login = await execute(server, SignInDocument, { input: { email: 'a@b.co\u0000', password: 'x' } });
    expect(errorCode(login)).toBe('BAD_USER_INPUT');
    const v2 = await fetch(`${server.url}/v2/models/%00`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(v2.status).toBe(400);
    expect(((await v2.json()) as { code: string }).code).toBe('BAD_USER_INPUT');
    expect((await run(server, ModelsDocument, {}, user.auth)).models).toEqual([]);
  });

  it('hides a model from everyone but its owner', async () => {
    const owner = await registerUser(server);
    const stranger = await registerUser(server);
    const { model } = await modelWithVersion(server, owner, IRIS);

    expect((await run(server, ModelsDocument, {}, stranger.auth)).models).toEqual([]);
    expect((await run(server, ModelDocument, { id: model.id }, stranger.auth)).model).toBeNull();
    const attempts = [
      await execute(
        server,
        UpdateModelDocument,
        { input: { id: model.id, name: 'mine now' } },
        stranger.auth,
      ),
      await execute(server, DeleteModelDocument, { id: model.id }, stranger.auth),
      await tryUploadVersion(server, stranger, model.id, IRIS),
    ];
    for (const attempt of attempts) expect(errorCode(attempt)).toBe('NOT_FOUND');
    // Not-found looks the same whether the id exists or not.
    const unknown = await execute(server, DeleteModelDocument, { id: randomUUID() }, stranger.auth);
    expect(attempts[1]!.errors![0]!.message).toBe(unknown.errors![0]!.message);
    expect(errorCode(await execute(server, DeleteModelDocument, { id: 'not-a-uuid' }, stranger.auth))).toBe(
      'NOT_FOUND',
    );

    expect((await run(server, ModelDocument, { id: model.id }, owner.auth)).model?.versions).toHaveLength(1);
  });

  it('needs a signed-in user', async () => {
    expect(errorCode(await execute(server, ModelsDocument, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('versions', () => {
  it('numbers versions, reads their tensor specs, and records size and sha256', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    const v1 = await uploadVersion(server, user, model.id, IRIS);
    expect(v1).toMatchObject({
      version: 1,
      sizeBytes: IRIS.byteLength,
      sha256: createHash('sha256').update(IRIS).digest('hex'),
      inputs: [{ name: 'x', elementType: 'float32', shape: [null, 4] }],
      outputs: [
        { name: 'logits', elementType: 'float32', shape: [null, 3] },
        { name: 'probabilities', elementType: 'float32', shape: [null, 3] },
      ],
    });
    const v2 = await uploadVersion(server, user, model.id, addModel(2));
    expect(v2.version).toBe(2);
    const { model: read } = await run(server, ModelDocument, { id: model.id }, user.auth);
    expect(read?.activeVersion?.version).toBe(2);
    expect(read?.activeVersion?.inputs.map((input) => input.name)).toEqual(['a', 'b']);
    expect(read?.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('keeps the active version when asked not to activate, and switches on updateModel', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, IRIS);
    await uploadVersion(server, user, model.id, IRIS, false);
    const { model: read } = await run(server, ModelDocument, { id: model.id }, user.auth);
    expect(read?.activeVersion?.version).toBe(1);

    const { updateModel } = await run(
      server,
      UpdateModelDocument,
      { input: { id: model.id, activeVersion: 2 } },
      user.auth,
    );
    expect(updateModel.activeVersion?.version).toBe(2);
    const missing = await execute(
      server,
      UpdateModelDocument,
      { input: { id: model.id, activeVersion: 3 } },
      user.auth,
    );
    expect(errorCode(missing)).toBe('BAD_USER_INPUT');
  });

  it("takes batching settings of its own, within the server's bounds, and goes back to the server's", async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, IRIS);
    const batching = async (value: unknown) =>
      execute(server, BatchingDocument, { input: { id: model.id, batching: value as never } }, user.auth);
    const set = await batching({ maxQueueDelayMs: 5, preferredBatchRows: [8, 4, 8] });
    expect(set.data?.updateModel.batching).toEqual({
      maxQueueDelayMs: 5,
      maxBatchRows: 64,
      preferredBatchRows: [4, 8],
    });
    // Calls still run, now batched the model's way.
    const { predict } = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[1, 2, 3, 4]] } },
      user.auth,
    );
    expect(predict.outputs).toHaveProperty('probabilities');
    for (const bad of [
      { maxQueueDelayMs: 5000 },
      { maxBatchRows: 65 },
      { maxBatchRows: 4, preferredBatchRows: [8] },
    ]) {
      expect(errorCode(await batching(bad))).toBe('BAD_USER_INPUT');
    }
    const reset = await batching(null);
    expect(reset.data?.updateModel.batching).toEqual({
      maxQueueDelayMs: 0,
      maxBatchRows: 64,
      preferredBatchRows: [],
    });
  });

  it('gives concurrent uploads distinct version numbers', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    const versions = await Promise.all(
      Array.from({ length: 6 }, () => uploadVersion(server, user, model.id, IRIS)),
    );
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses a file that is not a model, and stores nothing', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    for (const bytes of [new TextEncoder().encode('definitely not onnx'), IRIS.slice(0, IRIS.length / 2)]) {
      const result = await uploadFile(
        server,
        UploadModelVersionDocument,
        { input: { modelId: model.id, file: null as unknown as File } },
        { bytes, name: 'broken.onnx' },
        user.auth,
      );
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.message).toMatch(/not an ONNX model/);
    }
    const { model: read } = await run(server, ModelDocument, { id: model.id }, user.auth);
    expect(read?.versions).toEqual([]);
    expect(read?.activeVersion).toBeNull();
    // The next good upload is still version 1.
    expect((await uploadVersion(server, user, model.id, IRIS)).version).toBe(1);
  });

  it('refuses a file over the configured size with a clear error', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    const result = await tryUploadVersion(server, user, model.id, new Uint8Array(8192));
    expect(errorCode(result)).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(result.errors?.[0]?.message).toBe(
      'The file is 8192 bytes; the most mlp accepts is 4096 (MAX_MODEL_BYTES)',
    );
    const { model: read } = await run(server, ModelDocument, { id: model.id }, user.auth);
    expect(read?.versions).toEqual([]);
  });
});

describe('large models', () => {
  // 1,966,080 rows of 4 floats: a 30 MB file, over Yoga's default 25 MB request limit.
  const ROWS = 1_966_080;
  const LARGE = largeLookupModel(ROWS, 4);
  let roomy: TestServer;
  let tight: TestServer;
  beforeAll(async () => {
    [roomy, tight] = await Promise.all([
      startServer({ MAX_MODEL_BYTES: String(40 * 1024 * 1024) }),
      startServer({ MAX_MODEL_BYTES: String(20 * 1024 * 1024) }),
    ]);
  });
  afterAll(() => Promise.all([roomy.stop(), tight.stop()]));

  it('uploads and predicts a 30 MB model when MAX_MODEL_BYTES allows it', async () => {
    expect(LARGE.byteLength).toBeGreaterThan(30 * 1000 * 1000);
    const user = await registerUser(roomy);
    const { model, version } = await modelWithVersion(roomy, user, LARGE);
    expect(version.sizeBytes).toBe(LARGE.byteLength);
    const { predict } = await run(
      roomy,
      PredictDocument,
      { input: { modelId: model.id, inputs: [0, 1234567, ROWS - 1] } },
      user.auth,
    );
    expect(predict.outputs).toEqual({
      rows: [
        [0, 1, 2, 3],
        [1234567, 1234568, 1234569, 1234570],
        [ROWS - 1, ROWS, ROWS + 1, ROWS + 2],
      ],
    });
  });

  it('stops an upload of undeclared length as it streams in, with a coded 413', async () => {
    const boundary = 'mlp-test-boundary';
    const operations = JSON.stringify({
      query: 'mutation($file: File!) { uploadModelVersion(input: {modelId: "x", file: $file}) { id } }',
      variables: { file: null },
    });
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.onnx"\r\n\r\n`,
    );
    // Up to 256 MiB, chunked (no Content-Length), 1 MiB at a time, until the server answers.
    const { status, text, sent } = await new Promise<{ status: number; text: string; sent: number }>(
      (resolve, reject) => {
        const request = httpRequest(tight.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        });
        let sent = 0;
        let answered = false;
        request.on('response', (response) => {
          answered = true;
          let text = '';
          response.on('data', (part) => {
            text += part;
          });
          response.on('end', () => resolve({ status: response.statusCode!, text, sent }));
        });
        // The server closes the connection once it has refused the body; the answer may be lost in the
        // reset, but not the fact that it stopped reading long before the end.
        request.on('error', (error) =>
          answered
            ? undefined
            : (error as NodeJS.ErrnoException).code === 'ECONNRESET'
              ? resolve({ status: 0, text: '', sent })
              : reject(error),
        );
        request.write(head);
        const chunk = new Uint8Array(1024 * 1024);
        const pump = () => {
          while (!answered && sent < 256) {
            sent++;
            if (!request.write(chunk)) return void request.once('drain', pump);
          }
          if (!answered) request.end();
        };
        pump();
      },
    );
    if (status !== 0) {
      expect(status).toBe(413);
      expect(errorCode(JSON.parse(text) as GraphQLResponse<unknown>)).toBe('REQUEST_ENTITY_TOO_LARGE');
    }
    // The limit is the largest file mlp takes (here 50 MiB, MAX_DATASET_BYTES) plus the other fields.
    expect(sent).toBeLessThan(128);
  });

  it('keeps the smaller limit for requests that are not uploads', async () => {
    const response = await fetch(roomy.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(26 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as GraphQLResponse<unknown>).errors?.[0]?.extensions?.code).toBe(
      'REQUEST_ENTITY_TOO_LARGE',
    );
  });

  it('refuses it as too large when MAX_MODEL_BYTES does not', async () => {
    const user = await registerUser(tight);
    const model = await createModel(tight, user);
    const result = await tryUploadVersion(tight, user, model.id, LARGE);
    expect(errorCode(result)).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(result.errors![0]!.message).toMatch(/most mlp accepts is 20971520 \(MAX_MODEL_BYTES\)/);
  });
});
