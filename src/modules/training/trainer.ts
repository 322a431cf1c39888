// Training in plain TypeScript: a network of one dense layer (logistic or linear regression) or two
// (an MLP with a ReLU hidden layer), trained by mini-batch Adam on standardised features, with a held-out
// validation split. Small enough to read, fast enough for tabular data (typed arrays, no allocation per
// step).

export type Task =
  | { kind: 'classification'; classes: number; y: Int32Array }
  | { kind: 'regression'; y: Float64Array };

export type TrainingOptions = {
  epochs: number;
  learningRate: number;
  /** 0 for a single layer (logistic or linear regression). */
  hiddenUnits: number;
  batchSize?: number;
  validationFraction?: number;
  seed?: number;
};

export type Dense = { inputs: number; outputs: number; w: Float64Array; b: Float64Array };

/** Everything needed to predict: standardisation, layers, and how to read the last one. */
export type TrainedNetwork = {
  mean: Float64Array;
  std: Float64Array;
  layers: Dense[];
  output: 'softmax' | 'identity';
};

export type EpochReport = {
  epoch: number;
  loss: number;
  validationLoss: number;
  /** Classification: share of validation rows classified right. */
  accuracy?: number;
  /** Regression: coefficient of determination on the validation rows. */
  r2?: number;
};

/** Returning false stops training (a cancelled job). */
export type OnEpoch = (report: EpochReport) => Promise<boolean>;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): runs are repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(indices: Int32Array, random: () => number): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
}

function dense(inputs: number, outputs: number, random: () => number, gain: number): Dense {
  const scale = Math.sqrt(gain / inputs);
  const w = Float64Array.from({ length: inputs * outputs }, () => (random() * 2 - 1) * Math.sqrt(3) * scale);
  return { inputs, outputs, w, b: new Float64Array(outputs) };
}

/** Applies the network to `rows` raw (unstandardised) rows of `x`; returns rows × outputs. */
export function predict(network: TrainedNetwork, x: Float64Array, rows: number): Float64Array {
  const d = network.mean.length;
  let activations = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) activations[r * d + c] = (x[r * d + c]! - network.mean[c]!) / network.std[c]!;
  }
  network.layers.forEach((layer, i) => {
    const out = new Float64Array(rows * layer.outputs);
    forwardDense(layer, activations, rows, out);
    if (i < network.layers.length - 1) for (let k = 0; k < out.length; k++) out[k] = Math.max(0, out[k]!);
    activations = out;
  });
  if (network.output === 'softmax') softmaxRows(activations, rows, network.layers.at(-1)!.outputs);
  return activations;
}

function forwardDense(layer: Dense, input: Float64Array, rows: number, out: Float64Array): void {
  const { inputs, outputs, w, b } = layer;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let sum = b[o]!;
      for (let i = 0; i < inputs; i++) sum += input[r * inputs + i]! * w[i * outputs + o]!;
      out[r * outputs + o] = sum;
    }
  }
}

function softmaxRows(values: Float64Array, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < width; k++) max = Math.max(max, values[r * width + k]!);
    let total = 0;
    for (let k = 0; k < width; k++) {
      const e = Math.exp(values[r * width + k]! - max);
      values[r * width + k] = e;
      total += e;
    }
    for (let k = 0; k < width; k++) values[r * width + k]! /= total;
  }
}

/** Adam (Kingma & Ba): per-parameter step sizes, robust to the scale differences of tabular data. */
class Adam {
  readonly #m: Float64Array[];
  readonly #v: Float64Array[];
  readonly #rate: number;
  #t = 0;

  constructor(params: Float64Array[], rate: number) {
    this.#m = params.map((p) => new Float64Array(p.length));
    this.#v = params.map((p) => new Float64Array(p.length));
    this.#rate = rate;
  }

  step(params: Float64Array[], grads: Float64Array[]): void {
    this.#t++;
    const correction1 = 1 - 0.9 ** this.#t;
    const correction2 = 1 - 0.999 ** this.#t;
    params.forEach((param, i) => {
      const grad = grads[i]!;
      const m = this.#m[i]!;
      const v = this.#v[i]!;
      for (let k = 0; k < param.length; k++) {
        m[k] = 0.9 * m[k]! + 0.1 * grad[k]!;
        v[k] = 0.999 * v[k]! + 0.001 * grad[k]! * grad[k]!;
        param[k]! -= (this.#rate * (m[k]! / correction1)) / (Math.sqrt(v[k]! / correction2) + 1e-8);
      }
    });
  }
}

/**
 * Trains on `rows × features` of `x`. Regression targets are standardised for training and the scale is
 * folded back into the last layer, so the returned network predicts in the original units.
 */
export async function train(
  x: Float64Array,
  rows: number,
  features: number,
  task: Task,
  options: TrainingOptions,
  onEpoch: OnEpoch,
): Promise<TrainedNetwork | null> {
  const random = seededRandom(options.seed ?? 42);
  const batchSize = options.batchSize ?? 32;
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  shuffle(order, random);
  const validationRows = Math.max(1, Math.round(rows * (options.validationFraction ?? 0.2)));
  const trainRows = rows - validationRows;
  const trainIndex = order.subarray(0, trainRows);
  const validationIndex = order.subarray(trainRows);

  // Standardisation from the training rows only, so validation stays unseen.
  const mean = new Float64Array(features);
  const std = new Float64Array(features);
  for (const r of trainIndex) for (let c = 0; c < features; c++) mean[c]! += x[r * features + c]! / trainRows;
  for (const r of trainIndex) {
    for (let c = 0; c < features; c++) std[c]! += (x[r * features + c]! - mean[c]!) ** 2 / trainRows;
  }
  for (let c = 0; c < features; c++) std[c] = Math.sqrt(std[c]!) || 1;
  const z = new Float64Array(rows * features);
  for (let i = 0; i < z.length; i++) z[i] = (x[i]! - mean[i % features]!) / std[i % features]!;

  let yMean = 0;
  let yStd = 1;
  if (task.kind === 'regression') {
    for (const r of trainIndex) yMean += task.y[r]! / trainRows;
    let variance = 0;
    for (const r of trainIndex) variance += (task.y[r]! - yMean) ** 2 / trainRows;
    yStd = Math.sqrt(variance) || 1;
  }
  const outputs = task.kind === 'classification' ? task.classes : 1;
  const layers =
    options.hiddenUnits > 0
      ? [dense(features, options.hiddenUnits, random, 6), dense(options.hiddenUnits, outputs, random, 1)]
      : [dense(features, outputs, random, 1)];
  const params = layers.flatMap((layer) => [layer.w, layer.b]);
  const grads = params.map((param) => new Float64Array(param.length));
  const optimizer = new Adam(params, options.learningRate);

  // Scratch buffers for one batch, reused across steps.
  const input = new Float64Array(batchSize * features);
  const hidden = options.hiddenUnits > 0 ? new Float64Array(batchSize * options.hiddenUnits) : null;
  const out = new Float64Array(batchSize * outputs);
  const delta = new Float64Array(batchSize * outputs);
  const hiddenDelta = hidden ? new Float64Array(hidden.length) : null;

  const lossOf = (indices: Int32Array): { loss: number; correct: number; sse: number; sst: number } => {
    let loss = 0;
    let correct = 0;
    let sse = 0;
    let sst = 0;
    for (let start = 0; start < indices.length; start += batchSize) {
      const size = Math.min(batchSize, indices.length - start);
      forwardBatch(indices, start, size);
      for (let b = 0; b < size; b++) {
        const r = indices[start + b]!;
        if (task.kind === 'classification') {
          let best = 0;
          for (let k = 1; k < outputs; k++) if (out[b * outputs + k]! > out[b * outputs + best]!) best = k;
          if (best === task.y[r]) correct++;
          loss -= Math.log(Math.max(out[b * outputs + task.y[r]!]!, 1e-12));
        } else {
          const predicted = out[b]! * yStd + yMean;
          sse += (predicted - task.y[r]!) ** 2;
          sst += (task.y[r]! - yMean) ** 2;
          loss += ((predicted - task.y[r]!) / yStd) ** 2 / 2;
        }
      }
    }
    return { loss: loss / indices.length, correct, sse, sst };
  };

  function forwardBatch(indices: Int32Array, start: number, size: number): void {
    for (let b = 0; b < size; b++)
      input.set(
        z.subarray(indices[start + b]! * features, (indices[start + b]! + 1) * features),
        b * features,
      );
    if (hidden) {
      forwardDense(layers[0]!, input, size, hidden);
      for (let k = 0; k < size * options.hiddenUnits; k++) hidden[k] = Math.max(0, hidden[k]!);
      forwardDense(layers[1]!, hidden, size, out);
    } else {
      forwardDense(layers[0]!, input, size, out);
    }
    if (task.kind === 'classification') softmaxRows(out, size, outputs);
  }

  function accumulate(
    layer: Dense,
    activations: Float64Array,
    d: Float64Array,
    size: number,
    w: Float64Array,
    b: Float64Array,
  ) {
    w.fill(0);
    b.fill(0);
    for (let r = 0; r < size; r++) {
      for (let o = 0; o < layer.outputs; o++) {
        const g = d[r * layer.outputs + o]!;
        if (g === 0) continue;
        b[o]! += g;
        for (let i = 0; i < layer.inputs; i++)
          w[i * layer.outputs + o]! += activations[r * layer.inputs + i]! * g;
      }
    }
  }

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffle(trainIndex, random);
    for (let start = 0; start < trainRows; start += batchSize) {
      const size = Math.min(batchSize, trainRows - start);
      forwardBatch(trainIndex, start, size);
      // Softmax with cross-entropy and identity with squared error share the same output gradient.
      for (let b = 0; b < size; b++) {
        const r = trainIndex[start + b]!;
        for (let k = 0; k < outputs; k++) {
          const target =
            task.kind === 'classification' ? (task.y[r] === k ? 1 : 0) : (task.y[r]! - yMean) / yStd;
          delta[b * outputs + k] = (out[b * outputs + k]! - target) / size;
        }
      }
      if (hidden && hiddenDelta) {
        const top = layers[1]!;
        accumulate(top, hidden, delta, size, grads[2]!, grads[3]!);
        for (let b = 0; b < size; b++) {
          for (let h = 0; h < options.hiddenUnits; h++) {
            let sum = 0;
            for (let k = 0; k < outputs; k++) sum += delta[b * outputs + k]! * top.w[h * outputs + k]!;
            hiddenDelta[b * options.hiddenUnits + h] = hidden[b * options.hiddenUnits + h]! > 0 ? sum : 0;
          }
        }
        accumulate(layers[0]!, input, hiddenDelta, size, grads[0]!, grads[1]!);
      } else {
        accumulate(layers[0]!, input, delta, size, grads[0]!, grads[1]!);
      }
      optimizer.step(params, grads);
    }
    const trained = lossOf(trainIndex);
    const validation = lossOf(validationIndex);
    const report: EpochReport = { epoch, loss: trained.loss, validationLoss: validation.loss };
    if (task.kind === 'classification') report.accuracy = validation.correct / validationRows;
    else report.r2 = validation.sst > 0 ? 1 - validation.sse / validation.sst : 0;
    if (!(await onEpoch(report))) return null;
  }

  if (task.kind === 'regression') {
    const last = layers.at(-1)!;
    for (let k = 0; k < last.w.length; k++) last.w[k]! *= yStd;
    last.b[0] = last.b[0]! * yStd + yMean;
  }
  return { mean, std, layers, output: task.kind === 'classification' ? 'softmax' : 'identity' };
}
