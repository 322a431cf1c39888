import { Migration20261128000000Init } from './Migration20261128000000Init.ts';
import { Migration20261128010000ApiKeys } from './Migration20261128010000ApiKeys.ts';
import { Migration20261128020000Training } from './Migration20261128020000Training.ts';
import { Migration20261128030000TrainingLeases } from './Migration20261128030000TrainingLeases.ts';
import { Migration20261128050000Quarantine } from './Migration20261128050000Quarantine.ts';
import { Migration20261129000000Sessions } from './Migration20261129000000Sessions.ts';
import { Migration20261129010000TrainingActivate } from './Migration20261129010000TrainingActivate.ts';
import { Migration20261129020000ModelBatching } from './Migration20261129020000ModelBatching.ts';
import { Migration20261206000000AsyncPredictions } from './Migration20261206000000AsyncPredictions.ts';
import { Migration20261206010000IdempotencyKeys } from './Migration20261206010000IdempotencyKeys.ts';
import { Migration20261206020000Webhooks } from './Migration20261206020000Webhooks.ts';
import { Migration20261206030000WebhookLogPurge } from './Migration20261206030000WebhookLogPurge.ts';

/** Listed explicitly rather than discovered from the file system, so they work from any build layout. */
export const migrations = [
  { name: 'Migration20261128000000Init', class: Migration20261128000000Init },
  { name: 'Migration20261128010000ApiKeys', class: Migration20261128010000ApiKeys },
  { name: 'Migration20261128020000Training', class: Migration20261128020000Training },
  { name: 'Migration20261128030000TrainingLeases', class: Migration20261128030000TrainingLeases },
  { name: 'Migration20261128050000Quarantine', class: Migration20261128050000Quarantine },
  { name: 'Migration20261129000000Sessions', class: Migration20261129000000Sessions },
  { name: 'Migration20261129010000TrainingActivate', class: Migration20261129010000TrainingActivate },
  { name: 'Migration20261129020000ModelBatching', class: Migration20261129020000ModelBatching },
  { name: 'Migration20261206000000AsyncPredictions', class: Migration20261206000000AsyncPredictions },
  { name: 'Migration20261206010000IdempotencyKeys', class: Migration20261206010000IdempotencyKeys },
  { name: 'Migration20261206020000Webhooks', class: Migration20261206020000Webhooks },
  { name: 'Migration20261206030000WebhookLogPurge', class: Migration20261206030000WebhookLogPurge },
];
