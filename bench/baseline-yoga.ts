// Baseline (b): a bare graphql-yoga server with one trivial resolver.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { ping: String! }',
    resolvers: { Query: { ping: () => 'pong' } },
  }),
  logging: false,
});
createServer(yoga).listen(Number(process.argv[2]), () => console.log('ready'));
