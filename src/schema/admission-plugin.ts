import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import type { Admission } from '../modules/rate-limits/admission.ts';
import { fieldLimit } from '../modules/rate-limits/rate-limit.directive.ts';
import type { FieldLimit } from '../modules/rate-limits/rate-limiter.ts';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      admission: AdmissionPlugin<Types>;
    }
  }
}

type Admitted = { admission: Admission };

/**
 * `admitsConcurrently`: the resolver starts while the field's admission is decided, and awaits
 * `admission.pending` itself before running the model (predict reads its inputs and its cache meanwhile).
 */
export type AdmissionExtensions = { admitsConcurrently?: boolean };
export const admitsConcurrently: AdmissionExtensions = { admitsConcurrently: true };

export const MUTATION_COST = 10;

/**
 * Admits every root field through the request's Admission (its cost budget and its `@rateLimit`), inside
 * Pothos's resolver chain: listed after the scope-auth plugin, it runs after authentication and the
 * field's scopes (model ownership included), so a call refused for those reasons spends nothing.
 */
export class AdmissionPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** A mutation writes or starts work: it costs MUTATION_COST points unless it declares its own cost. */
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    if (fieldConfig.kind !== 'Mutation' || fieldConfig.pothosOptions.complexity !== undefined)
      return fieldConfig;
    return { ...fieldConfig, pothosOptions: { ...fieldConfig.pothosOptions, complexity: MUTATION_COST } };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const limit = limitOf(fieldConfig);
    if (fieldConfig.kind !== 'Query' && fieldConfig.kind !== 'Mutation') return resolver;
    if ((fieldConfig.extensions as AdmissionExtensions | undefined)?.admitsConcurrently) {
      return (parent, args, context, info) => {
        // The resolver awaits it (admission.pending) before it runs the model; this keeps a refusal
        // that comes after the resolver already failed from being an unhandled rejection.
        (context as Admitted).admission.admit(limit).catch(() => {});
        return resolver(parent, args, context, info);
      };
    }
    return (parent, args, context, info) =>
      (context as Admitted).admission.admit(limit).then(() => resolver(parent, args, context, info));
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (fieldConfig.kind !== 'Subscription' || !subscribe) return subscribe;
    const limit = limitOf(fieldConfig);
    return (parent, args, context, info) =>
      (context as Admitted).admission.admit(limit).then(() => subscribe(parent, args, context, info));
  }
}

/** The field's `@rateLimit`, if it has one; only root fields may (they are where calls are admitted). */
function limitOf<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): FieldLimit | null {
  const { directives } = fieldConfig.pothosOptions as {
    directives?: { rateLimit?: { by: string; budget?: string } };
  };
  const name = `${fieldConfig.parentType}.${fieldConfig.name}`;
  if (!directives?.rateLimit) return null;
  if (fieldConfig.kind !== 'Query' && fieldConfig.kind !== 'Mutation' && fieldConfig.kind !== 'Subscription')
    throw new Error(`${name}: @rateLimit is only for root fields`);
  return fieldLimit(name, directives.rateLimit);
}

SchemaBuilder.registerPlugin('admission', AdmissionPlugin);
