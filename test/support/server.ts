import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { SignJWT } from 'jose';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startTracing } from '../../src/infra/telemetry/start-tracing.ts';
import { createLogger } from '../../src/logger.ts';
import { createServices } from '../../src/services.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long';

export type TokenClaims = {
  sub?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  /** The session id; null leaves the claim out. */
  jti?: string | null;
  /** The session version; null leaves the claim out. */
  ver?: number | null;
};

/** A token as mlp signs them (a fresh session of version 0 unless told), for claims a client cannot get. */
export function signToken(claims: TokenClaims, secret = TEST_JWT_SECRET): Promise<string> {
  const { jti = randomUUID(), ver = 0 } = claims;
  const jwt = new SignJWT(ver === null ? {} : { ver })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? randomUUID())
    .setIssuer(claims.iss ?? 'mlp')
    .setAudience(claims.aud ?? 'mlp-api')
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600);
  return (jti === null ? jwt : jwt.setJti(jti)).sign(new TextEncoder().encode(secret));
}

export type TestServer = {
  url: string;
  graphqlUrl: string;
  stop(): Promise<void>;
};

/** An mlp API instance in this process, on a free port, against the run's test database. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: TEST_REDIS_URL,
    // Each run's jobs stay in its own queue, even beside another run on the same Redis.
    QUEUE_PREFIX: new URL(inject('databaseUrl')).pathname.slice(1),
    // Every test user and 127.0.0.1 would otherwise share the sign-in limit; test/rate-limits.test.ts
    // sets real limits and its own client addresses.
    RATE_LIMIT_FREE: '100000,10000000',
    RATE_LIMIT_WRITES_FREE: '100000,10000000',
    COST_BUDGET_FREE: '100000000',
    // Likewise the quotas: test/write-limits.test.ts sets real ones.
    QUOTA_FREE: '100000,100000,100000',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    // Tests send invalid credentials on purpose, all from 127.0.0.1.
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000',
    JWT_SECRET: TEST_JWT_SECRET,
    // OWASP's cost (17) takes 0.4 s a hash here; tests register hundreds of users. Hashes upgrade at login.
    PASSWORD_HASH_COST: '14',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const tracing = await startTracing(config.tracing, 'mlp-api');
  const services = await createServices(config, createLogger(config.logLevel, tracing), tracing);
  const app = buildApp(services);
  const port = await app.start(0);
  const url = `http://127.0.0.1:${port}`;
  return { url, graphqlUrl: `${url}/graphql`, stop: () => app.stop() };
}

export type GraphQLResponse<T> = {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }[];
  extensions?: Record<string, unknown>;
};

export type Auth = { token?: string; headers?: Record<string, string> };

/** Sends one operation as a client would, and returns the parsed response body. */
export async function execute<T, V>(
  server: TestServer,
  document: TypedDocumentNode<T, V>,
  variables: V,
  auth: Auth = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...auth.headers,
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** Like execute, but fails the test on any error and returns the data. */
export async function run<T, V>(
  server: TestServer,
  document: TypedDocumentNode<T, V>,
  variables: V,
  auth: Auth = {},
) {
  const result = await execute(server, document, variables, auth);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

/**
 * How long `expect.poll` waits for a change announced over Redis pub/sub (a logout, a revoked key) to reach
 * another instance: one hop, which a busy machine can delay by milliseconds, and far short of the cache
 * lifetimes (30 s and more) that would make good a lost announcement.
 */
export const ANNOUNCED = { timeout: 1000, interval: 5 } as const;

/** The code of the only error in a response that must have failed. */
export function errorCode(result: GraphQLResponse<unknown>): string | undefined {
  if (!result.errors?.length) throw new Error(`Expected an error, got ${JSON.stringify(result.data)}`);
  return result.errors[0]!.extensions?.code;
}

/** A GraphQL multipart request (the upload spec): one file, by default at `variables.input.file`. */
export async function uploadFile<T, V>(
  server: TestServer,
  document: TypedDocumentNode<T, V>,
  variables: V,
  file: { bytes: Uint8Array; name: string; at?: string },
  auth: Auth = {},
): Promise<GraphQLResponse<T>> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: print(document), variables }));
  form.set('map', JSON.stringify({ 0: [file.at ?? 'variables.input.file'] }));
  form.set('0', new Blob([file.bytes as Uint8Array<ArrayBuffer>]), file.name);
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...auth.headers,
    },
    body: form,
  });
  return (await response.json()) as GraphQLResponse<T>;
}
