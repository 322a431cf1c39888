// Loaded into a benchmarked server with `--import`: measures how late its event loop runs
// (perf_hooks.monitorEventLoopDelay), how much CPU the process spends and where, and answers the bench
// over the IPC channel, so the server itself carries no benchmark code. Messages: 'reset' starts a
// scenario, 'read' returns its loop delay in ms and the CPU time the process used since, in µs;
// 'profile' starts a V8 CPU profile of the main thread and 'profiled' stops it and returns its samples
// by owner (`ownerOf`).
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export type LoopDelay = { p50: number; p99: number; max: number };
export type ProbeReading = { type: 'delay'; delay: LoopDelay; cpuUs: number };
/** A profile's busy samples (idle left out), counted by the code they are spent for. */
export type ProfileShares = { type: 'profiled'; busy: number; byOwner: Record<string, number> };

type ProfileNode = { id: number; callFrame: { functionName: string; url: string }; children?: number[] };

/** The server's own files, as frames name them. */
const ROOT = `${pathToFileURL(process.cwd()).href}/`;

/**
 * What a frame's time is spent for: a package (`@opentelemetry/core`) or a file of the server
 * (`src/graphql-tracing.ts`); null for Node's own code and V8's builtins, which work for their callers.
 */
function ownerOf(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return inPackage[1]!;
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
}

/**
 * Samples counted by the innermost frame on their stack that an owner has: a Buffer copy made for the
 * OpenTelemetry exporter counts as OpenTelemetry's, an AsyncLocalStorage switch as its caller's. The
 * garbage collector's time is its own (it has no stack).
 */
function shares(profile: { nodes: ProfileNode[]; samples: number[] }): ProfileShares {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const owners = new Map<number, string>();
  const owner = (id: number): string => {
    const known = owners.get(id);
    if (known) return known;
    const { functionName, url } = nodes.get(id)!.callFrame;
    const parent = parents.get(id);
    // V8's own entries, `(garbage collector)` and `(program)`, stand for themselves.
    const own = functionName.startsWith('(') || parent === undefined;
    const found = ownerOf(url) ?? (own ? functionName || '(node)' : owner(parent));
    owners.set(id, found);
    return found;
  };
  const byOwner: Record<string, number> = {};
  let busy = 0;
  for (const id of profile.samples) {
    if (nodes.get(id)!.callFrame.functionName === '(idle)') continue;
    busy++;
    const name = owner(id);
    byOwner[name] = (byOwner[name] ?? 0) + 1;
  }
  return { type: 'profiled', busy, byOwner };
}

if (process.send) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let cpuAtReset = process.cpuUsage();
  let inspector: Session | null = null;
  process.on('message', async (message) => {
    if (message === 'reset') {
      histogram.reset();
      cpuAtReset = process.cpuUsage();
      process.send!({ type: 'reset' });
    } else if (message === 'read') {
      const ms = (ns: number) => ns / 1e6;
      const cpu = process.cpuUsage(cpuAtReset);
      const reading: ProbeReading = {
        type: 'delay',
        delay: {
          p50: ms(histogram.percentile(50)),
          p99: ms(histogram.percentile(99)),
          max: ms(histogram.max),
        },
        cpuUs: cpu.user + cpu.system,
      };
      process.send!(reading);
    } else if (message === 'profile') {
      inspector?.disconnect();
      inspector = new Session();
      inspector.connect();
      await inspector.post('Profiler.enable');
      // A sample every 250 µs: thousands over a scenario's slices, at a cost the twin pays alike.
      await inspector.post('Profiler.setSamplingInterval', { interval: 250 });
      await inspector.post('Profiler.start');
      process.send!({ type: 'profiling' });
    } else if (message === 'profiled') {
      const stopped = inspector && (await inspector.post('Profiler.stop'));
      inspector?.disconnect();
      inspector = null;
      const profile = stopped
        ? (stopped.profile as unknown as { nodes: ProfileNode[]; samples: number[] })
        : null;
      process.send!(profile ? shares(profile) : { type: 'profiled', busy: 0, byOwner: {} });
    }
  });
  // The channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
