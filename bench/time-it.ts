/** Microseconds per call of `run`, the median of five timed batches after a warm-up batch. */
export function timeIt(run: () => void, batch = 2_000): number {
  for (let i = 0; i < batch; i++) run();
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    samples.push(Number(process.hrtime.bigint() - started) / 1_000 / batch);
  }
  return samples.sort((a, b) => a - b)[2]!;
}
