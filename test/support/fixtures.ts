// Small builders that give each test its own users and models, so tests run in any order, concurrently.
import { randomUUID } from 'node:crypto';
import { graphql } from '../gql/index.ts';
import { type Auth, run, type TestServer, uploadFile } from './server.ts';

export const RegisterDocument = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      expiresAt
      user {
        id
        email
        tier
        role
      }
    }
  }
`);

export const CreateModelDocument = graphql(`
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
      name
      description
      activeVersion {
        version
      }
    }
  }
`);

export const UploadModelVersionDocument = graphql(`
  mutation UploadModelVersion($input: UploadModelVersionInput!) {
    uploadModelVersion(input: $input) {
      id
      version
      sizeBytes
      sha256
      inputs {
        name
        elementType
        shape
      }
      outputs {
        name
        elementType
        shape
      }
    }
  }
`);

export const PredictDocument = graphql(`
  mutation Predict($input: PredictInput!) {
    predict(input: $input) {
      id
      outputs
      cached
      latencyMs
      createdAt
      model {
        id
        name
      }
      version {
        version
      }
    }
  }
`);

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID()}@example.com`;
export const PASSWORD = 'a sound passphrase 42';

export type TestUser = { id: string; email: string; token: string; auth: Auth };

export async function registerUser(server: TestServer, label?: string, from: Auth = {}): Promise<TestUser> {
  const email = uniqueEmail(label);
  const { register } = await run(server, RegisterDocument, { input: { email, password: PASSWORD } }, from);
  return { id: register.user.id, email, token: register.token, auth: { token: register.token } };
}

export async function createModel(server: TestServer, user: TestUser, name = `model-${randomUUID()}`) {
  const { createModel } = await run(server, CreateModelDocument, { input: { name } }, user.auth);
  return createModel;
}

/** Uploads `bytes` as a new version and returns the response as it comes, errors included. */
export function tryUploadVersion(server: TestServer, user: TestUser, modelId: string, bytes: Uint8Array) {
  return uploadFile(
    server,
    UploadModelVersionDocument,
    { input: { modelId, file: null as unknown as File } },
    { bytes, name: 'model.onnx' },
    user.auth,
  );
}

export async function uploadVersion(
  server: TestServer,
  user: TestUser,
  modelId: string,
  bytes: Uint8Array,
  activate?: boolean,
) {
  const result = await uploadFile(
    server,
    UploadModelVersionDocument,
    { input: { modelId, file: null as unknown as File, activate } },
    { bytes, name: 'model.onnx' },
    user.auth,
  );
  if (result.errors?.length) throw new Error(`upload failed: ${JSON.stringify(result.errors)}`);
  return result.data!.uploadModelVersion;
}

/** A model of the user's with one uploaded, active version. */
export async function modelWithVersion(server: TestServer, user: TestUser, bytes: Uint8Array) {
  const model = await createModel(server, user);
  const version = await uploadVersion(server, user, model.id, bytes);
  return { model, version };
}
