// Writes that store or start work (new models, uploads, training) have a rate limit of their own, and
// what a user keeps stored has quotas by tier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisLikeClassifier, largeLookupModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  CreateModelDocument,
  createModel,
  PredictDocument,
  registerUser,
  type TestUser,
  tryUploadVersion,
  uploadVersion,
} from './support/fixtures.ts';
import { errorCode, execute, run, startServer, type TestServer, uploadFile } from './support/server.ts';

const BudgetsDocument = graphql(`
  query Budgets {
    rateLimit {
      minute {
        remaining
      }
      writes {
        minute {
          limit
          remaining
        }
        day {
          limit
        }
      }
    }
  }
`);

const QuotaDocument = graphql(`
  query Quota {
    me {
      quota {
        models {
          used
          limit
        }
        versions {
          used
          limit
        }
        storedBytes {
          used
          limit
        }
      }
    }
  }
`);

const DeleteModelDocument = graphql(`
  mutation DeleteModelForQuota($id: ID!) {
    deleteModel(id: $id)
  }
`);

const StartTrainingLimitedDocument = graphql(`
  mutation StartTrainingLimited($input: StartTrainingInput!) {
    startTraining(input: $input) {
      id
    }
  }
`);

const newModel = (server: TestServer, user: TestUser, name: string) =>
  execute(server, CreateModelDocument, { input: { name } }, user.auth);

describe('the writes budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_WRITES_FREE: '3,100', RATE_LIMIT_FREE: '10,1000' });
  });
  afterAll(() => server.stop());

  it('limits createModel, uploadModelVersion and startTraining together, apart from predict', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user, 'first');
    await uploadVersion(server, user, model.id, irisLikeClassifier());
    await createModel(server, user, 'second');

    const refused = await newModel(server, user, 'third');
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0]!.extensions).toMatchObject({ window: 'minute', limit: 3 });
    expect(refused.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    const upload = await tryUploadVersion(server, user, model.id, irisLikeClassifier());
    expect(errorCode(upload)).toBe('RATE_LIMITED');
    const training = await uploadFile(
      server,
      StartTrainingLimitedDocument,
      {
        input: {
          modelId: model.id,
          dataset: null as unknown as File,
          labelColumn: 'label',
          algorithm: 'MLP',
        },
      },
      {
        bytes: new TextEncoder().encode('a,label\n1,x\n2,y\n'),
        name: 'data.csv',
        at: 'variables.input.dataset',
      },
      user.auth,
    );
    expect(errorCode(training)).toBe('RATE_LIMITED');

    // predict has its own budget, and rateLimit shows both.
    const predicted = await execute(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]] } },
      user.auth,
    );
    expect(predicted.errors).toBeUndefined();
    const { rateLimit } = await run(server, BudgetsDocument, {}, user.auth);
    expect(rateLimit.writes.minute).toEqual({ limit: 3, remaining: 0 });
    expect(rateLimit.writes.day.limit).toBe(100);
    expect(rateLimit.minute.remaining).toBe(9);

    // Another user's writes are theirs.
    const other = await registerUser(server);
    expect((await newModel(server, other, 'mine')).errors).toBeUndefined();
  });
});

describe('quotas', () => {
  let server: TestServer;
  beforeAll(async () => {
    // 2 models, 3 versions, 1 MiB stored.
    server = await startServer({ QUOTA_FREE: '2,3,1' });
  });
  afterAll(() => server.stop());

  it('counts models, refuses one too many, and frees the place when a model is deleted', async () => {
    const user = await registerUser(server);
    const first = await createModel(server, user, 'one');
    await createModel(server, user, 'two');
    const refused = await newModel(server, user, 'three');
    expect(errorCode(refused)).toBe('QUOTA_EXCEEDED');
    expect(refused.errors![0]!.message).toBe(
      'Quota exceeded: your tier allows 2 models; you have 2 and this adds 1',
    );
    expect(refused.errors![0]!.extensions).toMatchObject({ quota: 'models', used: 2, limit: 2 });
    expect((await run(server, QuotaDocument, {}, user.auth)).me.quota.models).toEqual({ used: 2, limit: 2 });

    await run(server, DeleteModelDocument, { id: first.id }, user.auth);
    expect((await newModel(server, user, 'three')).errors).toBeUndefined();
  });

  it('counts versions across models and the bytes of their files', async () => {
    const user = await registerUser(server);
    const a = await createModel(server, user, 'a');
    const b = await createModel(server, user, 'b');
    const iris = irisLikeClassifier();
    await uploadVersion(server, user, a.id, iris);
    await uploadVersion(server, user, a.id, iris);
    await uploadVersion(server, user, b.id, iris);
    const fourth = await tryUploadVersion(server, user, b.id, iris);
    expect(errorCode(fourth)).toBe('QUOTA_EXCEEDED');
    expect(fourth.errors![0]!.extensions).toMatchObject({ quota: 'versions', used: 3, limit: 3 });

    const { me } = await run(server, QuotaDocument, {}, user.auth);
    expect(me.quota.versions).toEqual({ used: 3, limit: 3 });
    expect(me.quota.storedBytes).toEqual({ used: 3 * iris.byteLength, limit: 1024 * 1024 });

    // A fresh user: one file of 1.6 MB does not fit in 1 MiB.
    const other = await registerUser(server);
    const model = await createModel(server, other, 'big');
    const big = largeLookupModel(100_000, 4);
    const tooBig = await tryUploadVersion(server, other, model.id, big);
    expect(errorCode(tooBig)).toBe('QUOTA_EXCEEDED');
    expect(tooBig.errors![0]!.extensions).toMatchObject({
      quota: 'storedBytes',
      used: 0,
      adding: big.byteLength,
    });
  });

  it('lets only one of two concurrent writes take the last place', async () => {
    const user = await registerUser(server);
    await createModel(server, user, 'only');
    const results = await Promise.all([newModel(server, user, 'x'), newModel(server, user, 'y')]);
    const codes = results.map((result) => (result.errors ? errorCode(result) : 'OK')).sort();
    expect(codes).toEqual(['OK', 'QUOTA_EXCEEDED']);
  });
});
