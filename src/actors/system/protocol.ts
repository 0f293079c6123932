/**
 * Protocols: the messages an actor accepts, declared once as TypeBox schemas. The declaration
 * gives both the static types (a discriminated union on `type`, with a request→reply map) and
 * the runtime validators that check every body arriving from another process before dispatch.
 *
 *   const Echo = defineProtocol('echo', {
 *     say:  { request: Type.Object({ text: Type.String() }) },                          // tell
 *     echo: { request: Type.Object({ text: Type.String() }), reply: Type.String() },    // ask
 *   });
 *   system.tell(ref, { type: 'say', text: 'hi' });
 *   const back: string = await system.ask(ref, { type: 'echo', text: 'hi' }, 1000);
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

export interface MessageSpec {
  /** The message's fields besides `type`. */
  readonly request: TSchema;
  /** The reply's schema; a message without one is told, never asked. */
  readonly reply?: TSchema;
  /** Accepted by a fenced actor whatever token it carries (e.g. "who is the leader?"). */
  readonly unfenced?: boolean;
}

export type ProtocolSpec = { readonly [type: string]: MessageSpec };

export type MessageType<S extends ProtocolSpec> = keyof S & string;

/** The union of all messages of a protocol, or the one message of type K. */
export type Message<S extends ProtocolSpec, K extends MessageType<S> = MessageType<S>> = K extends MessageType<S>
  ? { readonly type: K } & Static<S[K]['request']>
  : never;

/** What an ask of type K resolves to. */
export type Reply<S extends ProtocolSpec, K extends MessageType<S>> = S[K] extends { readonly reply: infer R extends TSchema }
  ? Static<R>
  : void;

/** The message types that may be asked (those declaring a reply). */
export type AskType<S extends ProtocolSpec> = {
  [K in MessageType<S>]: S[K] extends { readonly reply: TSchema } ? K : never;
}[MessageType<S>];

/** One handler per message type: the compiler checks that none is missing. */
export type Handlers<S extends ProtocolSpec> = {
  readonly [K in MessageType<S>]: (message: Message<S, K>) => Reply<S, K> | Promise<Reply<S, K>>;
};

interface Compiled {
  readonly request: TypeCheck<TSchema>;
  readonly reply: TypeCheck<TSchema> | undefined;
  readonly unfenced: boolean;
}

export class Protocol<S extends ProtocolSpec> {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    readonly name: string,
    readonly spec: S,
  ) {
    for (const [type, message] of Object.entries(spec)) {
      this.compiled.set(type, {
        request: TypeCompiler.Compile(message.request),
        reply: message.reply === undefined ? undefined : TypeCompiler.Compile(message.reply),
        unfenced: message.unfenced === true,
      });
    }
  }

  has(type: string): boolean {
    return this.compiled.has(type);
  }

  isUnfenced(type: string): boolean {
    return this.compiled.get(type)?.unfenced ?? false;
  }

  expectsReply(type: string): boolean {
    return this.compiled.get(type)?.reply !== undefined;
  }

  /** Describes the first problem of a request body, or returns undefined when it is valid. */
  checkRequest(type: string, body: unknown): string | undefined {
    const compiled = this.compiled.get(type);
    if (compiled === undefined) return `unknown message type '${type}'`;
    return firstProblem(compiled.request, body);
  }

  /** Describes the first problem of a reply, or returns undefined when it is valid. */
  checkReply(type: string, reply: unknown): string | undefined {
    const check = this.compiled.get(type)?.reply;
    return check === undefined ? undefined : firstProblem(check, reply);
  }
}

function firstProblem(check: TypeCheck<TSchema>, value: unknown): string | undefined {
  if (check.Check(value)) return undefined;
  const error = check.Errors(value).First();
  return error === undefined ? 'does not match its schema' : `${error.path || '(root)'}: ${error.message}`;
}

export function defineProtocol<const S extends ProtocolSpec>(name: string, spec: S): Protocol<S> {
  return new Protocol(name, spec);
}
