// Untrusted models, tried as an attacker would: every hostile file is refused at upload or contained at
// predict with a coded error, while another user's predictions keep succeeding.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  constantFoldingBombModel,
  customOperatorModel,
  endlessLoopModel,
  externalDataInSubgraphModel,
  externalDataModel,
  outputBombModel,
  truncatedModel,
} from './fixtures/hostile-models.ts';
import { irisLikeClassifier } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { startEmbeddedServer } from './support/embedded-server.ts';
import {
  createModel,
  modelWithVersion,
  PredictDocument,
  registerUser,
  type TestUser,
  tryUploadVersion,
} from './support/fixtures.ts';
import { errorCode, execute, run, startServer, type TestServer } from './support/server.ts';

const VersionsDocument = graphql(`
  query ModelVersionStates($id: ID!) {
    model(id: $id) {
      versions {
        version
        status
        lastError
        quarantinedUntil
      }
    }
  }
`);

const IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2]];
const DEADLINE_MS = 1000;

function predict(server: TestServer, user: TestUser, modelId: string, inputs: unknown) {
  return execute(server, PredictDocument, { input: { modelId, inputs, cache: false } }, user.auth);
}

/** Times a call, so a test can say it ended within the deadline plus a little. */
async function timed<T>(call: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call;
  return { result, ms: performance.now() - started };
}

/** Another user predicting again and again until `until` settles: every answer must be right. */
async function victimPredictsUntil(server: TestServer, until: Promise<unknown>) {
  const victim = await registerUser(server, 'victim');
  const { model } = await modelWithVersion(server, victim, irisLikeClassifier());
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const answers: unknown[] = [];
  while (!done || answers.length < 3) {
    const response = await predict(server, victim, model.id, IRIS_ROWS);
    expect(response.errors).toBeUndefined();
    answers.push(response.data!.predict.outputs);
  }
  return answers;
}

/** A process's state letter and parent, or null once it is gone (a zombie counts as gone). */
function processStatus(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? null : { state: state!, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

/** The pids of the inference worker processes of `parent` (this test process by default). */
function inferenceWorkerPids(parent = process.pid): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          processStatus(pid)?.ppid === parent &&
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('inference-worker')
        );
      } catch {
        return false; // gone meanwhile
      }
    });
}

/** Resolves once one of `parent`'s inference workers is running (seen running twice, 20 ms apart). */
async function untilAWorkerRuns(parent = process.pid): Promise<void> {
  let seen = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const running = inferenceWorkerPids(parent).some((pid) => processStatus(pid)?.state === 'R');
    seen = running ? seen + 1 : 0;
    if (seen === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no inference worker started running within 10 s');
}

describe('hostile uploads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  it.each([
    ['external data in an initializer', () => externalDataModel('package.json'), /external data/],
    ['external data reaching for .env', () => externalDataModel('.env'), /external data/],
    [
      'external data inside an If branch',
      () => externalDataInSubgraphModel('package.json'),
      /subgraph.*external data/,
    ],
    ['an operator from an unknown domain', customOperatorModel, /domain "com\.example\.evil"/],
    ['a truncated file', truncatedModel, /not a valid ONNX file/],
  ])('refuses %s with BAD_USER_INPUT naming the reason, and stores nothing', async (_, build, reason) => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    const response = await tryUploadVersion(server, user, model.id, build());
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.message).toMatch(reason);
    const { model: stored } = await run(server, VersionsDocument, { id: model.id }, user.auth);
    expect(stored!.versions).toEqual([]);
  });

  it('contains a constant-folding bomb: the server keeps answering and the run fails with a code', async () => {
    const user = await registerUser(server);
    const model = await createModel(server, user);
    // 10^10 floats (40 GB) from a one-element input, materialised by onnxruntime when it can.
    const uploaded = await tryUploadVersion(server, user, model.id, constantFoldingBombModel(1e10));
    expect(uploaded.errors).toBeUndefined();
    const response = await predict(server, user, model.id, [[1]]);
    expect(errorCode(response)).toBe('INFERENCE_FAILED');
    expect(response.errors![0]!.message).toMatch(/alloc/i);
    const after = await predict(
      server,
      user,
      (await modelWithVersion(server, user, irisLikeClassifier())).model.id,
      IRIS_ROWS,
    );
    expect(after.errors).toBeUndefined();
  });
});

describe('hostile runs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      INFERENCE_WORKERS: '2',
      INFERENCE_RUNS_PER_USER: '1',
      INFERENCE_TIMEOUT_MS: String(DEADLINE_MS),
      QUARANTINE_AFTER_FAILURES: '2',
      MAX_OUTPUT_ELEMENTS: '1000000',
    });
  });
  afterAll(() => server.stop());

  it('kills an endless Loop at its deadline, quarantines it after repeated offences, and never holds up another user', async () => {
    const attacker = await registerUser(server, 'attacker');
    const { model } = await modelWithVersion(server, attacker, endlessLoopModel());

    const attack = async () => {
      // Three concurrent calls, twice: each round is killed at the deadline.
      const rounds = [];
      for (let round = 0; round < 2; round++) {
        rounds.push(
          await Promise.all([1, 2, 3].map(() => timed(predict(server, attacker, model.id, [[1]])))),
        );
      }
      return rounds.flat();
    };
    const attacking = attack();
    const [calls] = await Promise.all([attacking, victimPredictsUntil(server, attacking)]);
    for (const { result, ms } of calls) {
      expect(['INFERENCE_TIMEOUT', 'MODEL_QUARANTINED']).toContain(errorCode(result));
      expect(ms).toBeLessThan(DEADLINE_MS + 2000);
    }
    expect(calls.filter(({ result }) => errorCode(result) === 'INFERENCE_TIMEOUT').length).toBeGreaterThan(0);
    expect(calls[0]!.result.errors![0]!.message).toMatch(/ran past its 1000 ms deadline/);

    // Two offences: the version is set aside, refused at once, and its owner can see why.
    const refused = await timed(predict(server, attacker, model.id, [[1]]));
    expect(errorCode(refused.result)).toBe('MODEL_QUARANTINED');
    expect(refused.result.errors![0]!.message).toMatch(/quarantined until .*deadline/);
    expect(refused.ms).toBeLessThan(DEADLINE_MS);
    const { model: stored } = await run(server, VersionsDocument, { id: model.id }, attacker.auth);
    expect(stored!.versions[0]).toMatchObject({
      status: 'QUARANTINED',
      lastError: 'the model ran past its 1000 ms deadline',
    });
    expect(Date.parse(stored!.versions[0]!.quarantinedUntil!)).toBeGreaterThan(Date.now());

    // The attacker's other models are not affected.
    const { model: fine } = await modelWithVersion(server, attacker, irisLikeClassifier());
    expect((await predict(server, attacker, fine.id, IRIS_ROWS)).errors).toBeUndefined();
  });

  it('caps outputs inside the worker, and survives a run that asks for more memory than its ceiling', async () => {
    const attacker = await registerUser(server, 'attacker');
    const { model: wide } = await modelWithVersion(server, attacker, outputBombModel(2000, 1000));
    const tooMuch = await predict(server, attacker, wide.id, [[1]]);
    expect(errorCode(tooMuch)).toBe('OUTPUT_TOO_LARGE');
    expect(tooMuch.errors![0]!.message).toMatch(/2000000 elements; the most mlp returns is 1000000/);

    // 10^9 floats (4 GB): the machine has them, the worker's memory ceiling (2 GiB) does not.
    const { model: bomb } = await modelWithVersion(server, attacker, outputBombModel(50_000, 20_000));
    const bombing = Promise.all([1, 2].map(() => predict(server, attacker, bomb.id, [[1]])));
    const [answers] = await Promise.all([bombing, victimPredictsUntil(server, bombing)]);
    for (const answer of answers) expect(errorCode(answer)).toBe('INFERENCE_FAILED');

    const { model: small } = await modelWithVersion(server, attacker, outputBombModel(2, 3));
    const fine = await predict(server, attacker, small.id, [[7]]);
    expect(fine.data!.predict.outputs).toEqual({
      y: [
        [7, 7, 7],
        [7, 7, 7],
      ],
    });
  });

  it('fails only the run whose worker dies, and replaces the worker at once', async () => {
    const attacker = await registerUser(server, 'attacker');
    const { model } = await modelWithVersion(server, attacker, endlessLoopModel());
    const running = predict(server, attacker, model.id, [[1]]);
    // Once the loop runs in one of the workers, every worker is killed, as the OOM killer would.
    await untilAWorkerRuns();
    for (const pid of inferenceWorkerPids()) process.kill(pid, 'SIGKILL');
    const result = await running;
    // Failed by the kill, not at the deadline (which would be INFERENCE_TIMEOUT).
    expect(errorCode(result)).toBe('INFERENCE_FAILED');
    expect(result.errors![0]!.message).toMatch(/worker stopped \(killed by SIGKILL\)/);

    const victim = await registerUser(server, 'victim');
    const { model: fine } = await modelWithVersion(server, victim, irisLikeClassifier());
    expect((await predict(server, victim, fine.id, IRIS_ROWS)).errors).toBeUndefined();
  });
});

describe('shutdown with a hostile run in flight', () => {
  let child: ChildProcess;
  afterAll(() => child?.kill('SIGKILL'));

  it('still ends the process within the drain time on SIGTERM', async () => {
    let server: TestServer;
    ({ child, server } = await startEmbeddedServer({
      DATA_DIR: ':memory:',
      // The run would hold its worker for a minute; shutdown must not wait for it.
      INFERENCE_TIMEOUT_MS: '60000',
      SHUTDOWN_DRAIN_MS: '1000',
    }));
    const attacker = await registerUser(server, 'attacker');
    const { model } = await modelWithVersion(server, attacker, endlessLoopModel());
    const inFlight = predict(server, attacker, model.id, [[1]]).catch(() => 'connection closed');
    await untilAWorkerRuns(child.pid);
    const workers = inferenceWorkerPids(child.pid);
    expect(workers.length).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const { result: code, ms } = await timed(
      (async () => {
        child.kill('SIGTERM');
        return exited;
      })(),
    );
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000 + 3000);
    await inFlight;
    // No inference worker outlives its server.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const orphans = workers.filter((pid) => processStatus(pid) !== null);
    expect(orphans).toEqual([]);
  });
});
