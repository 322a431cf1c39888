// What the fair-use checks cost a request in CPU, measured in-process without HTTP: GraphQL Armor's rules
// on top of graphql-js's own validation, the parser limits, and pricing the operation. Yoga caches parse
// and validation by document text, so a repeated document pays the first two only once; these figures
// are for a document seen for the first time, the worst case. Pricing runs on every request.
import { parse, specifiedRules, validate } from 'graphql';
import { loadConfig } from '../src/config.ts';
import { operationCost } from '../src/operation-cost.ts';
import { armorRules } from '../src/operation-limits.ts';
import { schema } from '../src/schema/index.ts';
import { textWithNul } from '../src/storable-text.ts';
import { timeIt } from './time-it.ts';

const limits = loadConfig({}).operations;
const armor = armorRules(limits);

const PREDICT = 'mutation($i: PredictInput!) { predict(input: $i) { outputs cached } }';
const rows = (count: number, width: number) => Array.from({ length: count }, () => Array(width).fill(0.5));
const DOCUMENTS = [
  { name: 'trivial query', query: '{ __typename }', variables: {} },
  { name: 'signed-in query', query: '{ me { id email tier } }', variables: {} },
  { name: 'predict, 1 row', query: PREDICT, variables: { i: { modelId: 'x', inputs: rows(1, 4) } } },
  { name: 'predict, 64 rows', query: PREDICT, variables: { i: { modelId: 'x', inputs: rows(64, 64) } } },
];

export type OverheadRow = {
  document: string;
  parseValidateUs: number;
  armorUs: number;
  pricingUs: number;
  textUs: number;
};

export function measureOperationOverhead(): OverheadRow[] {
  return DOCUMENTS.map(({ name, query, variables }) => {
    const document = parse(query);
    const plain = timeIt(() => validate(schema, parse(query), specifiedRules));
    // The rules on their own (an upper bound: in a request they share graphql-js's one pass over the document).
    const armored = timeIt(() => validate(schema, document, armor));
    const pricing = timeIt(() =>
      operationCost({ schema, document, variableValues: variables, contextValue: {} }),
    );
    // The NUL check of String and ID text (src/storable-text.ts), which also runs on every request.
    const text = timeIt(() => textWithNul({ schema, document, variableValues: variables }));
    return { document: name, parseValidateUs: plain, armorUs: armored, pricingUs: pricing, textUs: text };
  });
}

const aliased = (count: number, selection: string) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
let deep = 'name';
for (let i = 0; i < 8; i++) deep = `types { fields { type { ${deep} } } }`;
const BOMBS = [
  {
    name: 'introspection alias bomb, 870 KiB',
    query: aliased(14_000, '__schema { types { fields { args { type { name } } } } }'),
  },
  { name: 'depth bomb', query: `{ __schema { ${deep} } }` },
  { name: '10,000 aliases of me', query: aliased(10_000, 'me{id}') },
  { name: '5 MB document', query: `{ me { id } }${' '.repeat(5 * 1024 * 1024)}` },
];

export type RefusalRow = { document: string; refusedUs: number };

/** How long refusing each hostile document takes (parse with the limits, then validate with the rules). */
export function measureRefusals(): RefusalRow[] {
  return BOMBS.map(({ name, query }) => {
    const refuse = () => {
      try {
        const document = parse(query, {
          maxSourceLength: limits.maxChars,
          maxLexicalTokens: limits.maxTokens,
        });
        if (validate(schema, document, [...specifiedRules, ...armor]).length === 0)
          throw new Error(`${name} passed`);
      } catch (error) {
        if (error instanceof Error && error.message.endsWith('passed')) throw error;
      }
    };
    return { document: name, refusedUs: timeIt(refuse, 20) };
  });
}

if (import.meta.main) {
  for (const row of measureRefusals())
    console.log(`${row.document}: refused in ${row.refusedUs.toFixed(0)} µs`);
  for (const row of measureOperationOverhead()) {
    console.log(
      `${row.document}: parse + validate ${row.parseValidateUs.toFixed(1)} µs, armor rules ${row.armorUs.toFixed(1)} µs (first sight only), pricing ${row.pricingUs.toFixed(1)} µs (every request)`,
    );
  }
}
