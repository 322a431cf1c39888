import { ApiKey } from './modules/api-keys/api-key.entity.ts';
import { Model } from './modules/models/model.entity.ts';
import { ModelVersion } from './modules/models/model-version.entity.ts';
import { Prediction, PredictionInputs } from './modules/predictions/prediction.entity.ts';
import { TrainingJob } from './modules/training/training-job.entity.ts';
import { User } from './modules/users/user.entity.ts';

/** Every entity the ORM maps; the migrations build their tables. */
export const entities = [User, ApiKey, Model, ModelVersion, Prediction, PredictionInputs, TrainingJob];
