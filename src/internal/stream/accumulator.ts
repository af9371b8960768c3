/**
 * The Messages API's events to the final `Message`: `MessageAccumulator` (the blocks as they grow, text joined in
 * runs, tool input parsed as partial JSON), and the Effect helpers over it (`finalMessage`, `withAccumulator`,
 * `textDeltas`).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { Mutable } from "effect/Types"
import { describeValue } from "../config/describeValue.js"
import { StreamError } from "../errors.js"
import type * as Messages from "../messages/message.js"
import { parsePartialJson } from "./partialJson.js"

// Accumulation
// ---------------------------------------------------------------------------------------------------------------

type MutableBlock = { type: string; [key: string]: unknown }
type MutableMessage = Mutable<Omit<Messages.Message, "content" | "usage">> & {
  content: Array<MutableBlock>
  usage: Record<string, unknown>
}

const malformed = (detail: string) => new StreamError({ reason: "malformed", detail })

/**
 * Anything thrown while accumulating is a malformed event: the events come from the wire, and an exception of
 * another kind (a shape nobody checked) must not reach the caller as a bare `TypeError`.
 */
const asStreamError = (error: unknown, event?: string): StreamError =>
  error instanceof StreamError
    ? error
    : malformed(`${event === undefined ? "" : `a ${event} event: `}${error instanceof Error ? error.message : String(error)}`)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** An index as an error names it: the number, or what the server sent instead (never its text, which may be huge). */
const indexText = (index: unknown): string => typeof index === "number" ? String(index) : describeValue(index)

/** A delta's text field, which must be a string: `undefined` appended to text would read "undefined". */
const deltaString = (delta: Record<string, unknown>, field: string): string => {
  const value = delta[field]
  if (typeof value !== "string") throw malformed(`a ${String(delta.type)} whose ${field} is not a string (${describeValue(value)})`)
  return value
}

/**
 * Lay `fields` (one part of a `message_delta`) over `target`: every field is kept, whatever its name, except that a
 * null never erases a value set before (usage counters and `container` are null where they do not apply; the official
 * SDK keeps the earlier value too).
 */
const mergeFields = (target: Record<string, unknown>, fields: unknown): void => {
  if (typeof fields !== "object" || fields === null) return
  for (const [key, value] of Object.entries(fields)) {
    if (value === null && Object.hasOwn(target, key) && target[key] != null) continue
    // An own field even when the server names it `__proto__`, as JSON.parse makes it.
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  }
}

/** Deltas of one block's text or thinking, waiting to be joined onto it. */
interface PendingText {
  readonly block: MutableBlock
  readonly field: "text" | "thinking"
  readonly pieces: Array<string>
}

/** How many deltas are joined at once: enough that the joins' own rope nodes do not count. */
const JOIN_EVERY = 1024

/** A tool input so far that is not the start of any JSON. */
const NOT_JSON: unique symbol = Symbol("not JSON")

/**
 * Tool inputs up to this length are parsed afresh for every snapshot; longer ones once they have grown by a quarter
 * (`REPARSE_GROWTH`). Parsing the whole text at every snapshot would be quadratic in its length (800 kB of input in
 * small deltas took a minute); this way the parsing a snapshot costs stays linear in the input, amortized.
 */
const EXACT_BELOW = 1024
const REPARSE_GROWTH = 1.25

/**
 * Builds the final `Message` from events, and exposes the partial state while it streams: the message so far and,
 * for a tool call in progress, the JSON text of its input so far.
 *
 * Blocks are appended in the order their `content_block_start` arrives, as the official SDK does (a start may repeat
 * an index: real traffic has it), but a start may not skip ahead, and a delta or stop must name a block that exists;
 * anything else fails with `StreamError { reason: "malformed" }`. So do events of a shape the accumulation cannot use
 * (a `message_start` without its message, a second `message_start`, a delta without its text, …).
 *
 * @since 0.1.0
 * @category models
 */
export class MessageAccumulator {
  private message: MutableMessage | undefined
  /** The JSON text of each open tool call's input, by block index, until its block stops. */
  private readonly json = new Map<number, string>()
  /** The last parse of each open tool input, and the length of the text it read. */
  private readonly partial = new Map<number, { readonly length: number; readonly input: unknown }>()
  /**
   * Text and thinking deltas not yet joined into their block, by block index. Appending each delta to the block's
   * string made a rope node per delta (32 bytes each: a 100 MB stream of 5-character deltas held 29 MB for 4 MB of
   * text); joined in runs they cost about the text itself (measured: 29 MB → 6 MB of heap for that stream).
   */
  private readonly pending: Array<PendingText | undefined> = []
  private stopped = false

  /**
   * Feed one event. Throws a `StreamError` (malformed), and nothing else, on an event that does not fit the message
   * so far or lacks what accumulating it needs.
   */
  push(event: Messages.MessageStreamEvent): void {
    // Nearly every event is a text delta for the block whose deltas are pending: kept at once, without the general
    // path's checks, which hold here (measured: accumulating 400k deltas 80 → 47 ms of CPU).
    if (event?.type === "content_block_delta" && typeof event.index === "number") {
      const pending = this.pending[event.index]
      const delta = event.delta as { type?: unknown; text?: unknown } | null | undefined
      if (
        pending !== undefined && pending.field === "text" && typeof delta === "object" && delta !== null &&
        delta.type === "text_delta" && typeof delta.text === "string" && this.message!.content[event.index] === pending.block
      ) {
        this.append(event.index, pending.block, "text", delta.text)
        return
      }
    }
    try {
      this.apply(event)
    } catch (error) {
      throw asStreamError(error, String((event as { type?: unknown } | null | undefined)?.type))
    }
  }

  private apply(event: Messages.MessageStreamEvent): void {
    switch (event.type) {
      case "message_start": {
        // A second start would erase what the first built (the official SDK throws too).
        if (this.message !== undefined) throw malformed("a second message_start")
        const m: unknown = (event as { message?: unknown }).message
        if (!isObject(m) || !Array.isArray(m.content) || !m.content.every(isObject) || !isObject(m.usage)) {
          throw malformed("a message_start without a message, its content list or its usage")
        }
        this.message = { ...m, usage: { ...m.usage }, content: m.content.map((b) => ({ ...b })) } as MutableMessage
        return
      }
      case "content_block_start": {
        const { content_block: block, index } = event as { content_block?: unknown; index?: unknown }
        const content = this.current().content
        if (typeof index !== "number" || !Number.isInteger(index) || index < 0) {
          throw malformed(`content_block_start for index ${indexText(index)}, which is not a block index`)
        }
        if (index > content.length) {
          throw malformed(`content_block_start for index ${index} skips ahead of the ${content.length} blocks so far`)
        }
        if (!isObject(block) || typeof block.type !== "string") {
          throw malformed("a content_block_start without a content_block and its type")
        }
        content.push({ ...block } as MutableBlock)
        return
      }
      case "content_block_delta": {
        const { delta, index } = event as { delta?: unknown; index?: unknown }
        const block = this.blockAt(index, "content_block_delta")
        if (!isObject(delta)) throw malformed("a content_block_delta without a delta")
        switch (delta.type) {
          case "text_delta":
            this.append(index as number, block, "text", deltaString(delta, "text"))
            return
          case "input_json_delta":
            this.json.set(index as number, (this.json.get(index as number) ?? "") + deltaString(delta, "partial_json"))
            return
          case "thinking_delta":
            this.append(index as number, block, "thinking", deltaString(delta, "thinking"))
            return
          case "signature_delta":
            block.signature = deltaString(delta, "signature")
            return
          case "citations_delta":
            block.citations = [...((block.citations as Array<unknown> | null | undefined) ?? []), delta.citation]
            return
        }
        return
      }
      case "content_block_stop": {
        const index = (event as { index?: unknown }).index
        const block = this.blockAt(index, "content_block_stop")
        const text = this.json.get(index as number)
        if (text === undefined) return
        this.json.delete(index as number)
        this.partial.delete(index as number)
        try {
          block.input = text === "" ? {} : JSON.parse(text)
        } catch {
          throw malformed(`the input of tool call ${String(block.id)} is not valid JSON`)
        }
        return
      }
      case "message_delta": {
        // `delta` holds the message's last top-level fields (stop_reason, stop_details, container, …), `usage` its
        // final counters, and any other field (context_management, …) belongs to the message as it is.
        const { delta, type: _type, usage, ...rest } = event as typeof Messages.MessageDeltaEvent.Type
        const m = this.current()
        mergeFields(m, delta)
        m.usage = { ...m.usage } // earlier snapshots keep theirs
        mergeFields(m.usage, usage)
        mergeFields(m, rest)
        return
      }
      case "message_stop":
        this.current()
        this.stopped = true
        return
    }
  }

  /**
   * The message so far (a snapshot). The input of a tool call in progress is what its JSON so far holds, re-read as
   * the text grows: once it is longer than 1 KiB it may lag the text by up to a quarter of its length (reading it
   * afresh for every snapshot would be quadratic). `partialInput(index)` has the exact text; `final()` and the
   * block's `content_block_stop` parse it whole.
   */
  get snapshot(): Option.Option<Messages.Message> {
    if (this.message === undefined) return Option.none()
    this.flush()
    const content = this.message.content.map((b) => ({ ...b }))
    for (const [index, text] of this.json) {
      const input = this.partialValue(index, text, this.stopped)
      // not JSON so far: the block keeps the input its start gave, and the stop will fail
      if (input !== NOT_JSON) content[index]!.input = input
    }
    return Option.some({ ...this.message, content } as unknown as Messages.Message)
  }

  /**
   * The input of the tool call at `index` as the accumulator holds it: after its `content_block_stop` its whole
   * input (the start's own when no delta came); before, the start's.
   */
  inputAt(index: number): unknown {
    return this.message?.content[index]?.input
  }

  /** The JSON text of a tool call's input received so far, while its block is open. */
  partialInput(index: number): Option.Option<string> {
    return Option.fromNullishOr(this.json.get(index))
  }

  /** Whether `message_stop` was seen. */
  get done(): boolean {
    return this.stopped
  }

  /**
   * The final message; fails unless the stream reached `message_stop`. A tool call cut off by `max_tokens` has no
   * `content_block_stop`: its input is what its JSON so far holds, as the official SDK gives it.
   */
  final(): Messages.Message {
    if (!this.stopped || this.message === undefined) {
      throw new StreamError({ reason: "truncated", detail: "the events ended before message_stop" })
    }
    this.flush()
    for (const [index, text] of this.json) {
      const block = this.message.content[index]!
      const input = this.partialValue(index, text, true)
      if (input === NOT_JSON) throw malformed(`the input of tool call ${String(block.id)} is not JSON cut short`)
      block.input = input
    }
    this.json.clear()
    this.partial.clear()
    return this.message as unknown as Messages.Message
  }

  /** Keeps a text or thinking delta for its block; a new field or block first joins what the block had pending. */
  private append(index: number, block: MutableBlock, field: "text" | "thinking", text: string): void {
    let pending = this.pending[index]
    if (pending === undefined || pending.field !== field || pending.block !== block) {
      if (pending !== undefined) this.join(pending)
      pending = this.pending[index] = { block, field, pieces: [] }
    }
    pending.pieces.push(text)
    if (pending.pieces.length >= JOIN_EVERY) this.join(pending)
  }

  private join(pending: PendingText): void {
    if (pending.pieces.length === 0) return
    const { block, field } = pending
    block[field] = ((block[field] as string | undefined) ?? "") + pending.pieces.join("")
    pending.pieces.length = 0
  }

  /** Joins every pending delta into its block: before anyone reads the message. */
  private flush(): void {
    for (const pending of this.pending) if (pending !== undefined) this.join(pending)
  }

  private current(): MutableMessage {
    if (this.message === undefined) throw malformed("an event arrived before message_start")
    return this.message
  }

  private blockAt(index: unknown, event: string): MutableBlock {
    const block = typeof index === "number" ? this.current().content[index] : undefined
    if (block === undefined) throw malformed(`${event} for index ${indexText(index)}, where no block was started`)
    return block
  }

  /** The tool input its text so far holds; `exact` reads the text as it is now, else a parse a little older may do. */
  private partialValue(index: number, text: string, exact: boolean): unknown {
    const last = this.partial.get(index)
    // The text of an open block only grows, so its length tells whether it changed.
    if (
      last !== undefined &&
      (last.length === text.length ||
        (!exact && text.length >= EXACT_BELOW && text.length < last.length * REPARSE_GROWTH))
    ) {
      return last.input
    }
    let input: unknown
    try {
      input = text === "" ? {} : parsePartialJson(text)
    } catch {
      input = NOT_JSON
    }
    this.partial.set(index, { length: text.length, input })
    return input
  }
}

const guarded = <A>(f: () => A): Effect.Effect<A, StreamError> => Effect.try({ try: f, catch: (e) => asStreamError(e) })

/**
 * Run a stream of events to its final `Message`.
 *
 * @since 0.1.0
 * @category utils
 */
export const finalMessage = <E, R>(
  events: Stream.Stream<Messages.MessageStreamEvent, E, R>
): Effect.Effect<Messages.Message, E | StreamError, R> =>
  // A pull loop, not a sink: `Stream.runForEachArray` is one `Effect.forever` over the stream's own pull, in a scope
  // of its own. (A sink-based runner that leaves its dead steps in the old generation keeps each next chunk alive
  // through young-generation collections: on 400k events, scavenges ~3.5x slower and a heap of ~180 MB.)
  Effect.suspend(() => {
    const acc = new MessageAccumulator()
    return Effect.flatMap(
      Stream.runForEachArray(events, (chunk) =>
        guarded(() => {
          for (const event of chunk) acc.push(event)
        })),
      () => guarded(() => acc.final())
    )
  })

/**
 * The events, each with the accumulator after it: the partial message and tool input while it streams.
 *
 * @since 0.1.0
 * @category utils
 */
export const withAccumulator = <E, R>(
  events: Stream.Stream<Messages.MessageStreamEvent, E, R>
): Stream.Stream<readonly [Messages.MessageStreamEvent, MessageAccumulator], E | StreamError, R> =>
  Stream.suspend(() => {
    const acc = new MessageAccumulator()
    return Stream.mapEffect(events, (event) => guarded(() => {
      acc.push(event)
      return [event, acc] as const
    }))
  })

/**
 * The text a `text_delta` event carries, else `undefined`: `Stream.tap((e) => …deltaText(e)…)` without narrowing.
 * Total: an event of another shape (a delta without its text) is simply not a text delta.
 *
 * @since 0.1.0
 * @category utils
 */
export const deltaText = (event: Messages.MessageStreamEvent): string | undefined => {
  if (event.type !== "content_block_delta") return undefined
  const delta: unknown = event.delta
  return isObject(delta) && delta.type === "text_delta" && typeof delta.text === "string" ? delta.text : undefined
}

/**
 * Just the text as it arrives (the events `deltaText` finds text in).
 *
 * @since 0.1.0
 * @category utils
 */
export const textDeltas = <E, R>(events: Stream.Stream<Messages.MessageStreamEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.filterMap(events, (event) => {
    const text = deltaText(event)
    return text === undefined ? Result.failVoid : Result.succeed(text)
  })
