// Loaded into a benchmarked server with `--import`: measures how late its event loop runs
// (perf_hooks.monitorEventLoopDelay) and how much CPU the process spends, and answers the bench over the
// IPC channel, so the server itself carries no benchmark code. Messages: 'reset' starts a scenario,
// 'read' returns its loop delay in ms and the CPU time the process used since, in µs.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export type LoopDelay = { p50: number; p99: number; max: number };
export type ProbeReading = { type: 'delay'; delay: LoopDelay; cpuUs: number };

if (process.send) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let cpuAtReset = process.cpuUsage();
  process.on('message', (message) => {
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
    }
  });
  // The channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
