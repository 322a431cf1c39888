import { Migration20261128000000Init } from './Migration20261128000000Init.ts';

/** Listed explicitly rather than discovered from the file system, so they work from any build layout. */
export const migrations = [{ name: 'Migration20261128000000Init', class: Migration20261128000000Init }];
