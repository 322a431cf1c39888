// Loaded into a benchmarked server with `--import`: measures how late its event loop runs
// (perf_hooks.monitorEventLoopDelay) and answers the bench over the IPC channel, so the server itself
// carries no benchmark code. Messages: 'reset' starts a scenario, 'read' returns its delay in ms.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export type LoopDelay = { p50: number; p99: number; max: number };

if (process.send) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  process.on('message', (message) => {
    if (message === 'reset') {
      histogram.reset();
      process.send!({ type: 'reset' });
    } else if (message === 'read') {
      const ms = (ns: number) => ns / 1e6;
      const delay: LoopDelay = {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
      };
      process.send!({ type: 'delay', delay });
    }
  });
  // The channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
