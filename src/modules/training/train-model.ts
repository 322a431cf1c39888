import { Tensor } from 'onnxruntime-node';
import { loadSession } from '../../infra/inference/model-sessions.ts';
import { type Dataset, encodeClasses, numericTargets, parseDataset } from './dataset.ts';
import { exportOnnx } from './onnx-export.ts';
import { type OnEpoch, predict, type Task, type TrainedNetwork, train } from './trainer.ts';
import type { TrainingAlgorithm, TrainingParams } from './training-job.entity.ts';

/** A training run that cannot succeed however often it is retried; the job fails with this message. */
export class PermanentTrainingError extends Error {}

export type TrainingInput = { csv: string; algorithm: TrainingAlgorithm; params: TrainingParams };
export type TrainingResult = { onnx: Uint8Array; classes: string[] | null };

/** The learning task a dataset and algorithm make; throws DatasetError when they do not fit. */
export function taskFor(dataset: Dataset, algorithm: TrainingAlgorithm, labelColumn: string) {
  if (algorithm === 'LINEAR_REGRESSION') {
    return {
      task: { kind: 'regression', y: numericTargets(dataset.labels, labelColumn) } as Task,
      classes: null,
    };
  }
  const { classes, y } = encodeClasses(dataset.labels);
  return { task: { kind: 'classification', classes: classes.length, y } as Task, classes };
}

/**
 * The compute of a training job, with no database or queue in sight: parse, train, export to ONNX and
 * check the export. Null when `onEpoch` asked to stop. Runs in a worker process or a worker thread.
 */
export async function trainModel(input: TrainingInput, onEpoch: OnEpoch): Promise<TrainingResult | null> {
  const dataset = parseDataset(input.csv, input.params.labelColumn);
  const { task, classes } = taskFor(dataset, input.algorithm, input.params.labelColumn);
  const network = await train(
    dataset.x,
    dataset.rows,
    dataset.features.length,
    task,
    {
      epochs: input.params.epochs,
      learningRate: input.params.learningRate,
      hiddenUnits: input.algorithm === 'MLP' ? input.params.hiddenUnits : 0,
    },
    onEpoch,
  );
  if (!network) return null;
  const onnx = exportOnnx(network);
  await checkExport(onnx, network, dataset);
  return { onnx, classes };
}

/** The exported graph must load in onnxruntime and agree with the trainer's own forward pass. */
async function checkExport(onnx: Uint8Array, network: TrainedNetwork, dataset: Dataset): Promise<void> {
  const rows = Math.min(dataset.rows, 256);
  const session = await loadSession(onnx);
  try {
    const width = dataset.features.length;
    const x = dataset.x.subarray(0, rows * width);
    const results = await session.run({ x: new Tensor('float32', Float32Array.from(x), [rows, width]) });
    const actual = (results.probabilities ?? results.value)!.data as Float32Array;
    const expected = predict(network, x, rows);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    }
    if (!(worst < 1e-3))
      throw new PermanentTrainingError(`the exported model disagrees with training (by ${worst})`);
  } finally {
    await session.release();
  }
}
