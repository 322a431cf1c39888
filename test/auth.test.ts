import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { PASSWORD, RegisterDocument, registerUser, uniqueEmail } from './support/fixtures.ts';
import {
  errorCode,
  execute,
  type GraphQLResponse,
  run,
  signToken,
  startServer,
  type TestServer,
} from './support/server.ts';

const LoginDocument = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      expiresAt
      user {
        id
        email
      }
    }
  }
`);

const MeDocument = graphql(`
  query Me {
    me {
      id
      email
      tier
      role
      createdAt
    }
  }
`);

const SetUserTierDocument = graphql(`
  mutation SetUserTier($input: SetUserTierInput!) {
    setUserTier(input: $input) {
      id
      tier
    }
  }
`);

const ADMIN_EMAIL = `admin-${randomUUID()}@example.com`;
const ADMIN_PASSWORD = 'the admin passphrase 1';
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD });
});
afterAll(() => server.stop());

const LimitedCreateDocument = graphql(`
  mutation GhostCreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
    }
  }
`);

describe('register and login', () => {
  it('registers a FREE user with a normalised email and returns a working token', async () => {
    const email = uniqueEmail('Mixed');
    const { register } = await run(server, RegisterDocument, {
      input: { email: `  ${email.toUpperCase()} `, password: PASSWORD },
    });
    expect(register.user).toMatchObject({ email: email.toLowerCase(), tier: 'FREE', role: 'USER' });

    const claims = decodeJwt(register.token);
    expect(claims).toMatchObject({ sub: register.user.id, iss: 'mlp', aud: 'mlp-api' });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(new Date(register.expiresAt).getTime()).toBe(claims.exp! * 1000);

    const { me } = await run(server, MeDocument, {}, { token: register.token });
    expect(me).toMatchObject({ id: register.user.id, email: email.toLowerCase() });
  });

  it('logs in with any casing of the email, and refuses a wrong password or unknown email alike', async () => {
    const user = await registerUser(server);
    const { login } = await run(server, LoginDocument, {
      input: { email: user.email.toUpperCase(), password: PASSWORD },
    });
    expect(login.user.id).toBe(user.id);

    const wrongPassword = await execute(server, LoginDocument, {
      input: { email: user.email, password: 'not it at all' },
    });
    const unknownEmail = await execute(server, LoginDocument, {
      input: { email: uniqueEmail(), password: PASSWORD },
    });
    expect(errorCode(wrongPassword)).toBe('UNAUTHENTICATED');
    expect(errorCode(unknownEmail)).toBe('UNAUTHENTICATED');
    expect(wrongPassword.errors![0]!.message).toBe(unknownEmail.errors![0]!.message);
    // A password longer than any account may have (5 MB) is answered alike, not with an error of its own.
    const huge = await execute(server, LoginDocument, {
      input: { email: user.email, password: 'x'.repeat(5 * 1024 * 1024) },
    });
    expect(huge.errors![0]!.message).toBe(wrongPassword.errors![0]!.message);
  });

  it('answers a taken address as a sign-in: its owner is signed in, anyone else gets the sign-in error', async () => {
    const user = await registerUser(server);
    // The owner retrying a registration whose answer was lost: signed in to the same account.
    const { register: again } = await run(server, RegisterDocument, {
      input: { email: user.email.toUpperCase(), password: PASSWORD },
    });
    expect(again.user.id).toBe(user.id);
    expect((await run(server, MeDocument, {}, { token: again.token })).me.id).toBe(user.id);

    // Anyone else: exactly what a wrong password at login gets, and nothing about an existing account.
    const intruder = await execute(server, RegisterDocument, {
      input: { email: user.email, password: 'another sound passphrase' },
    });
    const wrongLogin = await execute(server, LoginDocument, {
      input: { email: user.email, password: 'another sound passphrase' },
    });
    expect(errorCode(intruder)).toBe('UNAUTHENTICATED');
    expect(intruder.errors![0]!.message).toBe(wrongLogin.errors![0]!.message);
    expect(JSON.stringify(intruder)).not.toMatch(/exist|taken|already/i);
  });

  it.each([
    ['short', 'short1'],
    ['one repeated character', 'aaaaaaaaaaaa'],
    ['common', 'password123'],
  ])('refuses a weak password (%s)', async (_label, password) => {
    const result = await execute(server, RegisterDocument, { input: { email: uniqueEmail(), password } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('password');
  });

  it.each(['not-an-email', 'two@@example.com', 'spaces in@example.com', ''])(
    'refuses the email "%s"',
    async (email) => {
      const result = await execute(server, RegisterDocument, { input: { email, password: PASSWORD } });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
    },
  );
});

describe('tokens', () => {
  it('needs a token for me', async () => {
    expect(errorCode(await execute(server, MeDocument, {}))).toBe('UNAUTHENTICATED');
  });

  it('tells an expired token from an invalid one, and nothing more', async () => {
    const user = await registerUser(server);
    const expired = await signToken({ sub: user.id, exp: Math.floor(Date.now() / 1000) - 10 });
    const expiredResult = await execute(server, MeDocument, {}, { token: expired });
    expect(errorCode(expiredResult)).toBe('UNAUTHENTICATED');
    expect(expiredResult.errors![0]!.message).toMatch(/expired/);

    const invalid = [
      await signToken({ sub: user.id }, 'another-secret-that-is-32-bytes-long!!'),
      await signToken({ sub: user.id, aud: 'someone-else' }),
      await signToken({ sub: user.id, iss: 'someone-else' }),
      // alg "none": an unsigned token claiming to be the user.
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: user.id, iss: 'mlp', aud: 'mlp-api', exp: 9999999999, iat: 1 })).toString('base64url')}.`,
      'garbage',
    ];
    for (const token of invalid) {
      const result = await execute(server, MeDocument, {}, { token });
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toBe('Invalid credentials');
    }
    // Well signed but without a session (as signed before sessions existed): it could never be ended, so
    // its session is over; its holder signs in again.
    for (const token of [
      await signToken({ sub: user.id, jti: null }),
      await signToken({ sub: user.id, ver: null }),
    ]) {
      const result = await execute(server, MeDocument, {}, { token });
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toMatch(/session has ended/);
    }
  });

  it('treats the token of a deleted user as invalid, on limited fields too', async () => {
    const user = await registerUser(server);
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query('delete from users where id = $1', [user.id]);
    } finally {
      await db.end();
    }
    for (const result of [
      await execute(server, MeDocument, {}, user.auth),
      await execute(server, LimitedCreateDocument, { input: { name: 'ghost' } }, user.auth),
    ]) {
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toBe('Invalid credentials');
    }
  });

  it('does not let a bad token get in the way of logging in', async () => {
    const user = await registerUser(server);
    const { login } = await run(
      server,
      LoginDocument,
      { input: { email: user.email, password: PASSWORD } },
      { token: 'stale-garbage' },
    );
    expect(login.user.id).toBe(user.id);
  });
});

describe('request errors', () => {
  it('carry a code, whatever went wrong before any resolver ran', async () => {
    const post = async (body: unknown) => {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as GraphQLResponse<unknown>;
    };
    const coercion = await post({
      query: 'mutation($i: PredictInput!) { predict(input: $i) { id } }',
      variables: { i: { modelId: 'm', inputs: null } },
    });
    expect(coercion.errors![0]!.message).toMatch(/Variable "\$i" got invalid value null at "i.inputs"/);
    expect(errorCode(coercion)).toBe('BAD_USER_INPUT');
    expect(errorCode(await post({ query: '{ me { id ' }))).toBe('GRAPHQL_PARSE_FAILED');
    expect(errorCode(await post({ query: '{ nope }' }))).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('tiers', () => {
  it('lets the configured admin change a tier, and nobody else', async () => {
    const user = await registerUser(server);
    const refused = await execute(
      server,
      SetUserTierDocument,
      { input: { userId: user.id, tier: 'PRO' } },
      user.auth,
    );
    expect(errorCode(refused)).toBe('FORBIDDEN');

    const { login: admin } = await run(server, LoginDocument, {
      input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    const { me } = await run(server, MeDocument, {}, { token: admin.token });
    expect(me.role).toBe('ADMIN');

    const { setUserTier } = await run(
      server,
      SetUserTierDocument,
      { input: { userId: user.id, tier: 'ENTERPRISE' } },
      { token: admin.token },
    );
    expect(setUserTier).toEqual({ id: user.id, tier: 'ENTERPRISE' });
    expect((await run(server, MeDocument, {}, user.auth)).me.tier).toBe('ENTERPRISE');

    const missing = await execute(
      server,
      SetUserTierDocument,
      { input: { userId: randomUUID(), tier: 'PRO' } },
      { token: admin.token },
    );
    expect(errorCode(missing)).toBe('NOT_FOUND');
  });
});
