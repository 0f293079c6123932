/**
 * A configuration option: a flat key, its value type, its default and the older keys it
 * still answers to. Options are plain frozen data; reading them is {@link Configuration}'s job.
 */
import type { OptionType } from './types.js';

export interface ConfigOption<T> {
  /** The flat, dotted key, spelled as in Flink where Flink has the option. */
  readonly key: string;
  readonly type: OptionType<T>;
  /** Used when neither the key nor a fallback key is set; absent means "unset". */
  readonly default?: T;
  /** Deprecated or legacy keys, read in order when `key` itself is unset. */
  readonly fallbackKeys?: readonly string[];
  /** One line for documentation and `runnel` help output. */
  readonly description: string;
}

/** The value type of an option: `OptionValue<typeof RestOptions.PORT>` is `number`. */
export type OptionValue<O> = O extends ConfigOption<infer T> ? T : never;

/** Declares an option; frozen so that no caller can change a shared definition. */
export function option<T>(spec: ConfigOption<T>): ConfigOption<T> {
  return Object.freeze({
    ...spec,
    ...(spec.fallbackKeys === undefined ? {} : { fallbackKeys: Object.freeze([...spec.fallbackKeys]) }),
  });
}
