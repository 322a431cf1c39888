// Diffs the public contract (../shared/api-contract.graphql) against the committed schema.graphql and fails
// on any breaking change, except for coordinates listed in contract-pending.json as not built yet.
import { readFileSync } from 'node:fs';
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const contract = buildSchema(read('../../shared/api-contract.graphql'));
const schema = buildSchema(read('../schema.graphql'));
const pending = new Set(
  Object.keys(JSON.parse(read('./contract-pending.json')).pending as Record<string, string>),
);

/** Where a change is; a removed root type (e.g. no Subscription yet) has no path, only the type's name. */
function coordinate(change: Change): string {
  if (change.path) return change.path;
  const meta = change.meta as Record<string, unknown>;
  const root = meta.oldSubscriptionTypeName ?? meta.oldMutationTypeName ?? meta.oldQueryTypeName;
  return typeof root === 'string' ? root : change.type;
}

const breaking = (await diff(contract, schema)).filter(
  (change) => change.criticality.level === CriticalityLevel.Breaking,
);
const unexpected = breaking.filter((change) => !pending.has(coordinate(change)));
const stillMissing = new Set(breaking.map(coordinate));
const builtButListed = [...pending].filter((name) => !stillMissing.has(name));

for (const change of unexpected) console.error(`breaking: ${coordinate(change)}: ${change.message}`);
for (const name of builtButListed) {
  console.error(`built: ${name} now matches the contract; remove it from scripts/contract-pending.json`);
}
if (unexpected.length > 0 || builtButListed.length > 0) process.exit(1);
console.log(`schema.graphql honours the contract; ${pending.size} coordinates still pending`);
